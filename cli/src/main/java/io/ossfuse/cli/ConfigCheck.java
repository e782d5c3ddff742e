package io.ossfuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ossfuse.cache.TieredStoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Checks a {@link ConfigFile} against the commands' options: every key must be an option (with a
 * did-you-mean when it is not), every value must fit the option's type, and a tieredstore file must
 * pass the cache's own validation. One line per problem: {@code FILE: KEY: what is wrong and the fix}.
 * Keys and types come from the live command model, so new options are known without changes here.
 */
final class ConfigCheck {
  private static final Pattern DURATION = Pattern.compile("\\d+(\\.\\d+)?(ms|s|m)?");
  private final CommandSpec root;

  ConfigCheck(CommandSpec root) {
    this.root = root;
  }

  /** Section name → (key → option) for every command and nested command with options. */
  private Map<String, Map<String, OptionSpec>> sections() {
    Map<String, Map<String, OptionSpec>> out = new LinkedHashMap<>();
    collect(root, out);
    return out;
  }

  private static void collect(CommandSpec c, Map<String, Map<String, OptionSpec>> out) {
    for (CommandLine sub : c.subcommands().values()) {
      CommandSpec s = sub.getCommandSpec();
      String name = ConfigDefaults.section(s);
      if (out.containsKey(name)) continue; // aliases
      Map<String, OptionSpec> keys = new LinkedHashMap<>();
      for (OptionSpec o : s.options()) {
        if (ConfigDefaults.configurable(o)) keys.put(ConfigDefaults.key(o), o);
      }
      out.put(name, keys);
      collect(s, out);
    }
  }

  List<String> problems(ConfigFile f) {
    List<String> p = new ArrayList<>();
    Map<String, Map<String, OptionSpec>> sections = sections();
    Map<String, OptionSpec> global = new LinkedHashMap<>();
    sections.values().forEach(m -> m.forEach(global::putIfAbsent));
    for (Iterator<Map.Entry<String, JsonNode>> it = f.root().fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      if (sections.containsKey(k) && (e.getValue().isObject() || e.getValue().isNull())) {
        if (e.getValue().isNull()) continue;
        Map<String, OptionSpec> keys = sections.get(k);
        for (Iterator<Map.Entry<String, JsonNode>> it2 = e.getValue().fields(); it2.hasNext(); ) {
          Map.Entry<String, JsonNode> e2 = it2.next();
          OptionSpec o = keys.get(e2.getKey());
          String where = k + "." + e2.getKey();
          if (o == null) {
            p.add(f.file() + ": " + where + ": unknown option of '" + k + "'" + didYouMean(e2.getKey(), keys.keySet())
                + (keys.isEmpty() ? " ('" + k + "' takes no options)" : ""));
          } else {
            value(f, where, e2.getValue(), o, p);
          }
        }
      } else if (sections.containsKey(k)) {
        p.add(f.file() + ": " + k + ": is a command section: put its options in a mapping under it, e.g. " + k + ": {option: value}");
      } else if (global.containsKey(k)) {
        value(f, k, e.getValue(), global.get(k), p);
      } else {
        List<String> names = new ArrayList<>(sections.keySet());
        names.addAll(global.keySet());
        p.add(f.file() + ": " + k + ": unknown key: neither a command section nor an option" + didYouMean(k, names));
      }
    }
    return p;
  }

  private void value(ConfigFile f, String where, JsonNode v, OptionSpec o, List<String> p) {
    String at = f.file() + ": " + where + ": ";
    if (v.isObject()) {
      p.add(at + "needs a value, not a mapping");
      return;
    }
    if (v.isNull()) return;
    boolean multi = o.isMultiValue();
    if (v.isArray() && !multi) {
      p.add(at + "takes one value, not a list");
      return;
    }
    List<JsonNode> values = new ArrayList<>();
    if (v.isArray()) v.forEach(values::add);
    else values.add(v);
    Class<?> t = multi && o.auxiliaryTypes().length > 0 ? o.auxiliaryTypes()[0] : o.type();
    for (JsonNode e : values) {
      if (e.isContainerNode()) {
        p.add(at + "list items must be plain values");
        return;
      }
      String why = typeProblem(e, t, o);
      if (why != null) {
        p.add(at + why);
        return;
      }
    }
    if (ConfigDefaults.key(o).equals("tieredstore")) tieredstore(at, v.asText(), p);
  }

  private static String typeProblem(JsonNode e, Class<?> t, OptionSpec o) {
    String s = e.asText();
    if (t == boolean.class || t == Boolean.class) {
      return e.isBoolean() || s.equals("true") || s.equals("false") ? null : "must be true or false, got '" + s + "'";
    }
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      if (e.isIntegralNumber()) return null;
      try {
        Long.parseLong(s);
        return null;
      } catch (NumberFormatException x) {
        return "must be a whole number, got '" + s + "'";
      }
    }
    if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
      if (e.isNumber()) return null;
      try {
        Double.parseDouble(s);
        return null;
      } catch (NumberFormatException x) {
        return "must be a number, got '" + s + "'";
      }
    }
    if (t.isEnum()) {
      for (Object c : t.getEnumConstants()) {
        if (c.toString().equals(s) || ((Enum<?>) c).name().equals(s)) return null;
      }
      List<String> names = new ArrayList<>();
      for (Object c : t.getEnumConstants()) names.add(c.toString());
      return "must be one of " + String.join(", ", names) + ", got '" + s + "'";
    }
    if ("DURATION".equals(o.paramLabel()) && !DURATION.matcher(s.strip().toLowerCase(java.util.Locale.ROOT)).matches()) {
      return "'" + s + "' is not a duration: use e.g. 500ms, 2s, 1m";
    }
    if (e.isBoolean() && t == String.class) return "must be text, got " + s;
    return null;
  }

  private static void tieredstore(String at, String file, List<String> p) {
    Path f = Path.of(file);
    if (!Files.isRegularFile(f)) {
      p.add(at + "file " + f + " does not exist");
      return;
    }
    try {
      TieredStoreConfig.load(f);
    } catch (RuntimeException e) { // CacheConfigException: one line naming the level and the fix
      p.add(at + f + ": " + Main.firstLine(e.getMessage()));
    }
  }

  /** {@code ": did you mean 'x'?"} for the closest known name within a small edit distance, else "". */
  static String didYouMean(String key, Iterable<String> known) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key.toLowerCase(java.util.Locale.ROOT), k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    int limit = Math.max(2, key.length() / 3);
    return best != null && bestD <= limit ? ": did you mean '" + best + "'?" : "";
  }

  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
