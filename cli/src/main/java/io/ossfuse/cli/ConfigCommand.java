package io.ossfuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse config check [FILE]}: validates the config file, one line per problem. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description =
        "The config file (/etc/ossfuse/config.yaml, $OSSFUSE_CONFIG or --config FILE): "
            + "defaults for the flags of every command; flags on the command line win.",
    subcommands = ConfigCommand.Check.class)
final class ConfigCommand implements Runnable {
  /** The file install() resolved (explicit, environment or default). */
  static volatile Path file = ConfigDefaults.DEFAULT_FILE;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "Check the config file: YAML, known commands and flags, values the flags accept. "
              + "Prints one line per problem and exits 1, or one OK line.")
  static final class Check implements Callable<Integer> {
    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "FILE",
        description = "the file to check (default: the one ossfuse would use)")
    Path path;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Path target = path != null ? path : file;
      List<String> problems = new ArrayList<>();
      int settings = 0;
      try {
        JsonNode root = ConfigDefaults.read(target);
        CommandLine reference =
            Main.commandLine(
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        reference.addSubcommand(new ConfigCommand());
        settings = check(root, reference, "", problems);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      if (problems.isEmpty()) {
        out.println(target + ": OK (" + settings + " settings)");
        out.flush();
        return 0;
      }
      PrintWriter err = spec.commandLine().getErr();
      problems.forEach(p -> err.println(target + ": " + p));
      err.flush();
      return Main.EXIT_ERROR;
    }

    /** Checks one mapping against one command; returns how many settings were valid. */
    private static int check(
        JsonNode node, CommandLine command, String prefix, List<String> problems) {
      int ok = 0;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = e.getKey();
        String where = prefix + key;
        CommandLine sub = command.getSubcommands().get(key);
        if (sub != null) {
          if (!e.getValue().isObject()) {
            problems.add(where + ": is a command; give it a mapping of its flags");
          } else {
            ok += check(e.getValue(), sub, where + ".", problems);
          }
          continue;
        }
        List<CommandLine> having = new ArrayList<>();
        OptionSpec own = option(command, key);
        if (own != null) {
          having.add(command);
        } else if (prefix.isEmpty()) {
          collect(command, key, having); // a top-level flag applies to every command that has it
        }
        if (having.isEmpty()) {
          problems.add(
              where
                  + ": unknown "
                  + (prefix.isEmpty()
                      ? "command or flag"
                      : "flag of `" + command.getCommandSpec().qualifiedName() + "`")
                  + "; known: "
                  + known(command, prefix.isEmpty())
                  + ConfigHints.didYouMean(key, command, prefix.isEmpty()));
          continue;
        }
        if (e.getValue().isContainerNode() && !e.getValue().isArray()) {
          problems.add(where + ": a flag takes a value or a list, not a mapping");
          continue;
        }
        String value = ConfigDefaults.text(e.getValue());
        String problem = null;
        for (CommandLine c : having) {
          problem = problem != null ? problem : accepts(c, option(c, key), value);
        }
        if (problem == null) problem = ConfigHints.problem(option(having.get(0), key), value);
        if (problem != null) {
          problems.add(where + ": " + problem);
        } else {
          ok++;
        }
      }
      return ok;
    }

    /** Null when the option accepts the value, else picocli's one-line reason. */
    private static String accepts(CommandLine command, OptionSpec option, String value) {
      if (option.arity().max() == 0) {
        return value.equals("true") || value.equals("false")
            ? null
            : "'" + value + "' is not true or false";
      }
      CommandLine fresh =
          Main.commandLine(
              new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
      fresh.addSubcommand(new ConfigCommand());
      List<String> args = new ArrayList<>(ConfigDefaults.path(command.getCommandSpec()));
      args.add(option.longestName() + "=" + value);
      try {
        fresh.parseArgs(args.toArray(String[]::new));
        return null;
      } catch (MissingParameterException e) {
        return null; // the value parsed; only the command's own arguments are missing here
      } catch (ParameterException e) {
        return Main.firstLine(e.getMessage());
      }
    }

    private static OptionSpec option(CommandLine command, String key) {
      for (OptionSpec o : command.getCommandSpec().options()) {
        if (ConfigDefaults.key(o).equals(key) && !o.usageHelp() && !o.versionHelp()) return o;
      }
      return null;
    }

    private static void collect(CommandLine command, String key, List<CommandLine> having) {
      for (CommandLine sub : command.getSubcommands().values()) {
        if (option(sub, key) != null) having.add(sub);
        collect(sub, key, having);
      }
    }

    private static String known(CommandLine command, boolean top) {
      TreeSet<String> names = new TreeSet<>();
      if (top) names.addAll(command.getSubcommands().keySet());
      for (OptionSpec o : command.getCommandSpec().options()) {
        if (!o.usageHelp() && !o.versionHelp()) names.add(ConfigDefaults.key(o));
      }
      return String.join(", ", names);
    }
  }
}
