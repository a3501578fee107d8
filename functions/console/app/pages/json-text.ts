/** A value as the editor shows it. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** The editor's text as a JSON value, or a sentence saying where it is not JSON (nothing is sent then). */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}. Nothing was sent.` };
  }
}
