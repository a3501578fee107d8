import type { RouteSpec } from '../routes.js';
import type { Services } from '../services.js';
import type { FunctionEvent } from './event.js';

export type FunctionResult = { kind: 'succeed'; value: unknown } | { kind: 'fail'; error: unknown };

/**
 * The handler's reply, chainable as in the OpenFaaS Node template: `context.status(201).headers({...}).succeed(body)`.
 * Unlike the template, `fail(error)` answers with the error's own status, never 200.
 */
export class FunctionContext {
  readonly requestId: string;
  readonly services: Services;
  result: FunctionResult | undefined;
  /** The route table's row that serves the request, once routed: its id labels the request's metrics. */
  route: RouteSpec | undefined;
  /** False for what is not traffic (health probes, the gateway's /metrics): not counted in the request metrics. */
  metered = true;
  private statusCode = 200;
  private headerValues: Record<string, string> = {};

  constructor(services: Services, requestId: string) {
    this.services = services;
    this.requestId = requestId;
  }

  status(): number;
  status(code: number): this;
  status(code?: number): number | this {
    if (code === undefined) return this.statusCode;
    this.statusCode = code;
    return this;
  }

  headers(): Record<string, string>;
  headers(values: Record<string, string>): this;
  headers(values?: Record<string, string>): Record<string, string> | this {
    if (values === undefined) return this.headerValues;
    Object.assign(this.headerValues, values);
    return this;
  }

  succeed(value?: unknown): void {
    this.result ??= { kind: 'succeed', value };
  }

  fail(error: unknown): void {
    this.result ??= { kind: 'fail', error };
  }
}

/** A handler in the OpenFaaS Node template's style. */
export type FunctionHandler = (event: FunctionEvent, context: FunctionContext) => Promise<void>;
