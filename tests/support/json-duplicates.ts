/**
 * The member names that occur twice in one object of a JSON text (`JSON.parse` keeps the last and
 * says nothing). Assumes valid JSON; enough of a scanner for audit lines.
 */
export function duplicateMembers(text: string): string[] {
  const duplicates: string[] = [];
  const open: { names: Set<string> | null; expectName: boolean }[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    const top = open.at(-1);
    if (char === '{') open.push({ names: new Set(), expectName: true });
    else if (char === '[') open.push({ names: null, expectName: false });
    else if (char === '}' || char === ']') open.pop();
    else if (char === ',' && top?.names) top.expectName = true;
    else if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.names && top.expectName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.names.has(name)) duplicates.push(name);
        top.names.add(name);
        top.expectName = false;
      }
      i = end;
    }
  }
  return duplicates;
}
