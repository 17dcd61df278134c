// The prose of a Markdown text (commit message, PR body, comment): code, quotes and HTML comments removed, for
// scanners that look for references and mentions in what people wrote, not in what they quoted or pasted.

/**
 * Blanks out what is not prose: fenced and inline code, quoted lines (`> …`, a PR body quoting another) and
 * HTML comments (PR templates hide their instructions in them). Offsets are not kept; only the words matter.
 */
export function proseOnly(text: string): string {
  const lines = text.replace(/<!--[\s\S]*?(?:-->|$)/g, " ").split(/\r?\n/);
  const kept: string[] = [];
  let fence: string | null = null;
  for (const line of lines) {
    // A backtick fence's info string has no backtick (CommonMark): "```x``` is …" is inline code, not a fence.
    const marker = /^ {0,3}(`{3,}(?=[^`]*$)|~{3,})/.exec(line);
    if (fence) {
      if (marker && marker[1][0] === fence[0] && marker[1].length >= fence.length && line.trim() === marker[1]) fence = null;
      continue;
    }
    if (marker) {
      fence = marker[1];
      continue;
    }
    if (/^ {0,3}>/.test(line)) continue;
    kept.push(line.replace(/(`+)[^`]*?\1/g, " "));
  }
  return kept.join("\n");
}

