package io.ossfuse.packaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A systemd unit file read as sections of key=value lines (repeated keys kept in order). */
record UnitFile(Map<String, List<Map.Entry<String, String>>> sections) {

  static UnitFile read(Path file) {
    try {
      Map<String, List<Map.Entry<String, String>>> sections = new LinkedHashMap<>();
      String section = null;
      for (String raw : Files.readAllLines(file)) {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
          continue;
        }
        if (line.startsWith("[") && line.endsWith("]")) {
          section = line.substring(1, line.length() - 1);
          sections.putIfAbsent(section, new ArrayList<>());
          continue;
        }
        int eq = line.indexOf('=');
        if (section == null || eq < 0) {
          throw new IllegalArgumentException(file + ": cannot parse line '" + raw + "'");
        }
        sections
            .get(section)
            .add(Map.entry(line.substring(0, eq).strip(), line.substring(eq + 1).strip()));
      }
      return new UnitFile(sections);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last value of the key in the section (systemd: the last assignment wins), or null. */
  String get(String section, String key) {
    String value = null;
    for (Map.Entry<String, String> e : sections.getOrDefault(section, List.of())) {
      if (e.getKey().equals(key)) {
        value = e.getValue();
      }
    }
    return value;
  }

  List<String> keys(String section) {
    return sections.getOrDefault(section, List.of()).stream().map(Map.Entry::getKey).toList();
  }
}
