package io.ossfuse.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Wires the config file into a command line: adds {@code --config FILE} to every command and makes
 * the file's values the option defaults ({@link ConfigDefaults}).
 *
 * <p>Which file: {@code --config FILE} (anywhere on the line), else {@code $OSSFUSE_CONFIG}, else
 * {@code /etc/ossfuse/config.yaml} if it exists. A named file must exist. A file with problems stops
 * every command (one line per problem, exit 2) except {@code ossfuse config}, which reports them.
 */
final class ConfigSupport {
  static final String OPTION = "--config";
  static final String ENV = "OSSFUSE_CONFIG";

  private ConfigSupport() {}

  /** Adds the option; call after the subcommands are added (it is inherited by all of them). */
  static void addOption(CommandLine cl) {
    if (cl.getCommandSpec().findOption(OPTION) != null) return;
    cl.getCommandSpec().addOption(OptionSpec.builder(OPTION).paramLabel("FILE").type(Path.class)
        .scopeType(CommandLine.ScopeType.INHERIT)
        .description("YAML config file with option defaults (default: $" + ENV + ", else " + ConfigFile.DEFAULT
            + " if present); command-line flags override it.")
        .build());
  }

  /**
   * Loads the config for {@code args} and installs it as the default provider. Returns null to go on,
   * or the exit code after printing why not.
   */
  static Integer install(CommandLine cl, String[] args, Map<String, String> env, Path defaultFile, PrintWriter err) {
    addOption(cl);
    Path file;
    try {
      file = chosen(args, env, defaultFile);
    } catch (IllegalArgumentException e) {
      return fail(err, e.getMessage());
    }
    if (file == null) return null;
    boolean configCommand = firstCommand(args).equals("config");
    ConfigFile config;
    try {
      config = ConfigFile.load(file);
    } catch (Main.UserException e) {
      if (configCommand) return null; // 'config check' reports it
      return fail(err, e.getMessage());
    }
    if (!configCommand) {
      List<String> problems = new ConfigCheck(cl.getCommandSpec()).problems(config);
      if (!problems.isEmpty()) {
        for (String p : problems) err.println("ossfuse: " + p);
        err.println("ossfuse: fix " + file + " (ossfuse config check " + file + ") or run with --config another file");
        err.flush();
        return Main.EXIT_USAGE;
      }
    }
    cl.setDefaultValueProvider(new ConfigDefaults(config, env));
    return null;
  }

  private static Integer fail(PrintWriter err, String message) {
    err.println("ossfuse: " + message);
    err.flush();
    return Main.EXIT_USAGE;
  }

  /** The file to use, or null for none. */
  static Path chosen(String[] args, Map<String, String> env, Path defaultFile) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--")) break;
      if (args[i].equals(OPTION)) {
        if (i + 1 >= args.length) throw new IllegalArgumentException(OPTION + " needs a FILE");
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith(OPTION + "=")) return Path.of(args[i].substring(OPTION.length() + 1));
    }
    String e = env.get(ENV);
    if (e != null && !e.isBlank()) return Path.of(e);
    return defaultFile != null && Files.exists(defaultFile) ? defaultFile : null;
  }

  /** The first word that is not an option or an option's value we know of. */
  static String firstCommand(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(OPTION)) {
        i++;
        continue;
      }
      if (!args[i].startsWith("-")) return args[i];
    }
    return "";
  }
}
