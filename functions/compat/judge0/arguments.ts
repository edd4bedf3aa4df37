/**
 * Judge0 appends `command_line_arguments` to the run command in a bash script,
 * after removing `$&;<>|` and backticks, so bash splits them: words, with
 * single and double quotes and backslashes. We split them the same way into
 * an argv (no expansion is left to do once those characters are gone).
 */
export function commandLineArguments(line: string): string[] {
  const cleaned = line.trim().replace(/[$&;<>|`]/g, '');
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < cleaned.length; i++) {
    const c = cleaned[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && ['"', '\\'].includes(cleaned[i + 1] ?? '')) current += cleaned[++i];
      else current += c;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\' && i + 1 < cleaned.length) current += cleaned[++i];
      else current += c;
    }
  }
  if (inWord) args.push(current);
  return args;
}
