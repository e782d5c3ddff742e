package io.ossfuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The YAML configuration file: option values by long option name, at the top level (for every
 * command that has the option) or in a section named after a command (for that command only).
 *
 * <pre>
 * socket: /run/ossfuse/ossfuse.sock     # every command with --socket
 * daemon:
 *   state: /var/lib/ossfuse/state.json
 *   metrics-addr: 127.0.0.1:9464
 * mount:
 *   endpoint: https://oss-cn-hangzhou-internal.aliyuncs.com
 *   cred-dir: /etc/oss-secret
 *   o: [uid=1000, gid=1000, allow_other]
 * </pre>
 *
 * @param file the file it was read from
 * @param root the top-level mapping (empty for an empty file)
 */
record ConfigFile(Path file, ObjectNode root) {
  /** Where the daemon and every command look without {@code --config} (or OSSFUSE_CONFIG). */
  static final Path DEFAULT = Path.of("/etc/ossfuse/config.yaml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Reads {@code file}; a missing file, bad YAML or a non-mapping top level is one line. */
  static ConfigFile load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new Main.UserException("config file " + file + " does not exist: create it or give another with --config FILE");
    } catch (IOException e) {
      throw new Main.UserException("cannot read config file " + file + ": " + e.getMessage());
    }
    JsonNode n;
    try {
      n = text.isBlank() ? null : YAML.readTree(text);
    } catch (IOException e) {
      throw new Main.UserException("config file " + file + " is not valid YAML: " + Main.firstLine(e.getMessage()));
    }
    if (n == null || n.isNull() || n.isMissingNode()) return new ConfigFile(file, JsonNodeFactory.instance.objectNode());
    if (!n.isObject()) {
      throw new Main.UserException("config file " + file + " must be a mapping of option names to values (key: value), not a "
          + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    return new ConfigFile(file, (ObjectNode) n);
  }

  /** The node for {@code key} in section {@code command}, else at the top level; null if absent. */
  JsonNode lookup(String command, String key) {
    JsonNode section = command == null ? null : root.get(command);
    if (section != null && section.isObject() && section.has(key)) return section.get(key);
    JsonNode top = root.get(key);
    return top != null && !top.isObject() ? top : null;
  }
}
