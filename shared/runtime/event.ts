/** What a handler receives, as in the OpenFaaS Node template, plus the client's address. */
export interface FunctionEvent {
  /** Parsed JSON, a form's fields, or undefined for an empty body. */
  body: unknown;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  method: string;
  /** The first value of each query parameter. */
  query: Record<string, string>;
  /** The path as the client sent it (not decoded), without the query. */
  path: string;
  remoteAddress: string;
}
