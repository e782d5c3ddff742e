package io.ossfuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from the {@link ConfigFile}. Precedence, highest first: the command line, the
 * environment variable an option documents (e.g. OSSFUSE_SOCKET), the config file, the built-in
 * default. Only options are configurable; positional parameters (SOURCE, MOUNTPOINT) are not.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)");
  private final ConfigFile config;
  private final Map<String, String> env;

  ConfigDefaults(ConfigFile config, Map<String, String> env) {
    this.config = config;
    this.env = env;
  }

  /** The config key of an option: its longest name without dashes ({@code --cred-dir} → {@code cred-dir}). */
  static String key(OptionSpec o) {
    return o.longestName().replaceFirst("^-+", "");
  }

  /** The section of a command: its name under {@code ossfuse} ({@code mount}); null for the top command. */
  static String section(CommandSpec c) {
    return c.parent() == null ? null : c.qualifiedName(".").replaceFirst("^[^.]*\\.", "");
  }

  /** Options that the file never sets. */
  static boolean configurable(OptionSpec o) {
    return !o.usageHelp() && !o.versionHelp() && !o.longestName().equals(ConfigSupport.OPTION);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec o) || !configurable(o)) return null;
    String envName = envVariable(o);
    if (envName != null && env.get(envName) != null) return null; // the annotation's ${env:..} wins
    JsonNode n = config.lookup(section(o.command()), key(o));
    if (n == null || n.isNull()) return null;
    return text(n, o);
  }

  /** YAML value as picocli option text; a list joins with the option's split (or ",") . */
  static String text(JsonNode n, OptionSpec o) {
    if (n.isArray()) {
      List<String> parts = new ArrayList<>();
      n.forEach(e -> parts.add(e.asText()));
      String sep = o.splitRegex().isEmpty() ? "," : o.splitRegex().replace("\\", "");
      return String.join(sep, parts);
    }
    return n.asText();
  }

  /** The environment variable named in the option's annotated default, if any. */
  static String envVariable(OptionSpec o) {
    Object u = o.userObject();
    if (u instanceof AnnotatedElement e) {
      CommandLine.Option a = e.getAnnotation(CommandLine.Option.class);
      if (a != null) {
        Matcher m = ENV.matcher(a.defaultValue());
        if (m.find()) return m.group(1);
      }
    }
    return null;
  }
}
