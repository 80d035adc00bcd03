package org.research4j.grpo.cli;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Help.IOptionRenderer;
import picocli.CommandLine.IHelpFactory;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --help} that shows an option's names in the order they are declared, the canonical name
 * first and the older aliases after it (picocli's own help puts the shortest first, which for
 * {@code --chat-template, --chat} would be the alias), in the option list and in the synopsis.
 */
final class CanonicalFirstHelp implements IHelpFactory {

  @Override
  public Help create(CommandSpec spec, ColorScheme scheme) {
    return new Help(spec, scheme) {
      @Override
      public IOptionRenderer createDefaultOptionRenderer() {
        IOptionRenderer plain = super.createDefaultOptionRenderer();
        return (option, labels, colors) -> {
          Text[][] rows = plain.render(option, labels, colors);
          if (aliased(option) && rows.length > 0 && rows[0].length > 3) {
            rows[0][3] =
                colors
                    .optionText(String.join(", ", option.names()))
                    .concat(
                        labels.renderParameterLabel(
                            option, colors.ansi(), colors.optionParamStyles()));
          }
          return rows;
        };
      }

      @Override
      protected Text createDetailedSynopsisOptionsText(
          Collection<ArgSpec> done,
          List<OptionSpec> options,
          Comparator<OptionSpec> sort,
          boolean cluster) {
        Text text = super.createDetailedSynopsisOptionsText(done, options, sort, cluster);
        String plain = text.plainString();
        String canonical = plain;
        for (OptionSpec o : options) {
          if (!aliased(o)) continue;
          canonical =
              Pattern.compile("(?<=[\\[( |])" + Pattern.quote(o.shortestName()) + "(?=[=\\]) |]|$)")
                  .matcher(canonical)
                  .replaceAll(Matcher.quoteReplacement(o.names()[0]));
        }
        return canonical.equals(plain)
            ? text
            : colorScheme().ansi().new Text(canonical, colorScheme());
      }
    };
  }

  /** Long names only, and the first declared is not the one picocli would show first. */
  private static boolean aliased(OptionSpec option) {
    String[] names = option.names();
    if (names.length < 2) return false;
    for (String n : names) if (!n.startsWith("--")) return false;
    return !names[0].equals(option.shortestName());
  }
}
