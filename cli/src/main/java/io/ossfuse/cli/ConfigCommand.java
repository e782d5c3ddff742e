package io.ossfuse.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse config check [FILE]}. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Work with the YAML config file (option defaults for every command; flags override it).",
    subcommands = ConfigCommand.Check.class)
public final class ConfigCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Validates a config file: one line per problem, exit 1 if there is any. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Check a config file: unknown keys (with a did-you-mean), values of the wrong type,",
          "and the tieredstore file it names. Prints one line per problem and exits 1 if there is any."})
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
        description = "the file (default: --config, $OSSFUSE_CONFIG, else /etc/ossfuse/config.yaml)")
    Path file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Path f = file;
      if (f == null) {
        Object o = spec.findOption(ConfigSupport.OPTION) == null ? null : spec.findOption(ConfigSupport.OPTION).getValue();
        f = o instanceof Path p ? p : ConfigSupport.chosen(new String[0], System.getenv(), ConfigFile.DEFAULT);
        if (f == null) f = ConfigFile.DEFAULT;
      }
      ConfigFile config;
      try {
        config = ConfigFile.load(f);
      } catch (Main.UserException e) {
        err.println("ossfuse: " + e.getMessage());
        err.flush();
        return Main.EXIT_ERROR;
      }
      List<String> problems = new ConfigCheck(spec.root()).problems(config);
      for (String p : problems) err.println(p);
      err.flush();
      if (!problems.isEmpty()) return Main.EXIT_ERROR;
      out.println(f + ": OK");
      out.flush();
      return 0;
    }
  }
}
