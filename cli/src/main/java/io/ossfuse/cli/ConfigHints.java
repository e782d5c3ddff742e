package io.ossfuse.cli;

import io.ossfuse.cache.TieredStoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What {@code ossfuse config check} adds to picocli's own parsing of each value: the closest known
 * name for an unknown key, durations (plain strings to picocli), and the {@code tieredstore} file a
 * mount would load, checked by the cache's own validation (one-line {@code CacheConfigException}).
 */
final class ConfigHints {
  private static final Pattern DURATION = Pattern.compile("\\d+(\\.\\d+)?(ms|s|m)?");

  private ConfigHints() {}

  /** {@code "; did you mean 'x'?"} for the closest name a key could have meant here, else "". */
  static String didYouMean(String key, CommandLine command, boolean top) {
    Set<String> names = new TreeSet<>();
    if (top) {
      names.addAll(command.getSubcommands().keySet());
      collect(command, names);
    } else {
      keys(command, names);
    }
    return didYouMean(key, names);
  }

  static String didYouMean(String key, Iterable<String> known) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key.toLowerCase(Locale.ROOT), k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best != null && bestD > 0 && bestD <= Math.max(2, key.length() / 3)
        ? "; did you mean '" + best + "'?"
        : "";
  }

  private static void collect(CommandLine c, Set<String> names) {
    keys(c, names);
    for (CommandLine sub : c.getSubcommands().values()) collect(sub, names);
  }

  private static void keys(CommandLine c, Set<String> names) {
    for (OptionSpec o : c.getCommandSpec().options()) {
      if (!o.usageHelp() && !o.versionHelp()) names.add(ConfigDefaults.key(o));
    }
  }

  /** A problem picocli's parse does not see in {@code value} of {@code option}, else null. */
  static String problem(OptionSpec option, String value) {
    if ("DURATION".equals(option.paramLabel())
        && !DURATION.matcher(value.strip().toLowerCase(Locale.ROOT)).matches()) {
      return "'" + value + "' is not a duration: use e.g. 500ms, 2s, 1m";
    }
    if (ConfigDefaults.key(option).equals("tieredstore") && Files.isRegularFile(Path.of(value))) {
      try {
        TieredStoreConfig.load(Path.of(value));
      } catch (RuntimeException e) { // CacheConfigException: one line naming the level and the fix
        return value + ": " + Main.firstLine(e.getMessage());
      }
    }
    return null;
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
