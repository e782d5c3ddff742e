package io.ossfuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * Flag defaults from one YAML file ({@code /etc/ossfuse/config.yaml}, {@code $OSSFUSE_CONFIG} or
 * {@code --config FILE}). Precedence: a flag on the command line, then an environment variable the
 * flag's default names (e.g. {@code OSSFUSE_STATE}), then the file, then the built-in default.
 *
 * <pre>
 * socket: /run/ossfuse/ossfuse.sock     # top level: every command that has --socket
 * daemon:                               # a section per command: its flags without the dashes
 *   state: /var/lib/ossfuse/state.json
 *   child-heap: 1g
 * mount:
 *   endpoint: https://oss-cn-hangzhou-internal.aliyuncs.com
 *   o: [allow_other, uid=1000]          # a list is joined with commas
 * </pre>
 *
 * Only flags come from the file, never positional arguments. {@code ossfuse config check} validates
 * it.
 */
final class ConfigDefaults implements IDefaultValueProvider {
  static final Path DEFAULT_FILE = Path.of("/etc/ossfuse/config.yaml");
  static final String ENV = "OSSFUSE_CONFIG";
  private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final JsonNode root;
  private final Map<String, String> env;

  private ConfigDefaults(JsonNode root, Map<String, String> env) {
    this.root = root;
    this.env = env;
  }

  /**
   * Installs the file's defaults and the {@code config} command on {@code cl}; returns {@code args}
   * without {@code --config FILE}. A file named explicitly must exist; the default file is
   * optional. A file that cannot be read is an error, except for {@code ossfuse config ...}, which
   * reports it.
   */
  static String[] install(CommandLine cl, String[] args, Map<String, String> env) {
    CommandLine config = new CommandLine(new ConfigCommand());
    config.setOut(cl.getOut());
    config.setErr(cl.getErr());
    config.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
    config.setParameterExceptionHandler(cl.getParameterExceptionHandler());
    cl.addSubcommand(config);
    List<String> rest = new ArrayList<>();
    String explicit = env.get(ENV);
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        explicit = args[++i];
      } else if (args[i].startsWith("--config=")) {
        explicit = args[i].substring("--config=".length());
      } else {
        rest.add(args[i]);
      }
    }
    Path file = explicit != null && !explicit.isBlank() ? Path.of(explicit) : DEFAULT_FILE;
    ConfigCommand.file = file;
    boolean configCommand = !rest.isEmpty() && rest.get(0).equals("config");
    if (explicit == null && !Files.exists(file)) {
      return rest.toArray(String[]::new);
    }
    try {
      cl.setDefaultValueProvider(new ConfigDefaults(read(file), env));
    } catch (IllegalArgumentException e) {
      if (!configCommand) throw e;
    }
    return rest.toArray(String[]::new);
  }

  /** The file as a YAML mapping; one-line IllegalArgumentException when it is not one. */
  static JsonNode read(Path file) {
    JsonNode root;
    try {
      root = YAML.readTree(file.toFile());
    } catch (IOException e) {
      String why = Files.exists(file) ? Main.firstLine(e.getMessage()) : "no such file";
      throw new IllegalArgumentException(
          "config "
              + file
              + " cannot be read: "
              + why
              + "; fix it or point "
              + ENV
              + "/--config elsewhere (check it with `ossfuse config check`)");
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return YAML.createObjectNode();
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException(
          "config " + file + " must be a YAML mapping of flags and command sections");
    }
    return root;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || arg.command() == null) {
      return null;
    }
    String annotated = rawDefault(option);
    if (annotated != null) {
      Matcher m = ENV_DEFAULT.matcher(annotated);
      while (m.find()) {
        if (env.get(m.group(1)) != null) return null; // the environment wins over the file
      }
    }
    JsonNode value = section(root, arg.command()).get(key(option));
    if (value == null && section(root, arg.command()) != root) {
      JsonNode shared = root.get(key(option));
      value = shared != null && !shared.isContainerNode() ? shared : null;
    }
    return value == null || value.isNull() ? null : text(value);
  }

  /** The default as written in the @Option annotation, before picocli resolves ${env:...} in it. */
  private static String rawDefault(OptionSpec option) {
    if (option.userObject() instanceof AnnotatedElement element) {
      Option annotation = element.getAnnotation(Option.class);
      if (annotation != null) return annotation.defaultValue();
    }
    return option.defaultValue();
  }

  /**
   * The YAML mapping for a command: {@code daemon:} for `ossfuse daemon`, the root for `ossfuse`.
   */
  static JsonNode section(JsonNode root, CommandSpec command) {
    JsonNode node = root;
    for (String name : path(command)) {
      JsonNode next = node.get(name);
      if (next == null || !next.isObject()) return MISSING;
      node = next;
    }
    return node;
  }

  /** Subcommand names below the top command, e.g. [config, check]. */
  static List<String> path(CommandSpec command) {
    List<String> names = new ArrayList<>();
    for (CommandSpec c = command; c.parent() != null; c = c.parent()) {
      names.add(0, c.name());
    }
    return names;
  }

  /**
   * The key of an option in the file: its longest name without dashes ("--child-heap" →
   * child-heap).
   */
  static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }

  static String text(JsonNode value) {
    if (value.isArray()) {
      List<String> parts = new ArrayList<>();
      value.forEach(v -> parts.add(v.asText()));
      return String.join(",", parts);
    }
    return value.asText();
  }

  private static final JsonNode MISSING = YAML.createObjectNode();
}
