import type * as z from 'zod';
import { authenticate } from '../auth/authenticate.js';
import { policyOf } from '../auth/policy.js';
import { AppError } from '../errors/app-error.js';
import { recordEvent } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import { routeById, type RouteId, type RouteSpec } from '../routes.js';
import type { Services } from '../services.js';
import { parseInput } from '../validation/parse-input.js';
import type { FunctionContext } from './context.js';
import type { FunctionEvent } from './event.js';

type Schema = z.ZodType;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface OperationInput<P, Q, B, C, H = undefined> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  headers: Parsed<H>;
  /** The authenticated call; null only on public routes. */
  call: C;
  event: FunctionEvent;
  services: Services;
}

export interface OperationSpec<P, Q, B, Public extends boolean, H = undefined> {
  route: RouteId;
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the operation reads (lower-case names). */
  headers?: H;
  /** The success body's schema, for the OpenAPI document. */
  response?: Schema;
  /** Status of the success reply (200 unless given), and the OpenAPI document's. */
  status?: number;
  /** Also take the body form-encoded (OAuth2's password grant); other routes take JSON only. */
  form?: boolean;
  /** Returns the success body (undefined for none); response headers may be added with `context.headers()`. */
  handle(input: OperationInput<P, Q, B, Public extends true ? null : Call, H>, context: FunctionContext): Promise<unknown>;
}

export interface Operation {
  route: RouteSpec;
  spec: AnySpec;
  run(event: FunctionEvent, params: Record<string, string>, context: FunctionContext): Promise<void>;
}

/**
 * One route's handler: authenticate (local checks; the live ones run in Redis with the operation),
 * validate path, query and body, then the handler (one call into shared/, then respond).
 * An authenticated request refused before reaching Redis is audited as a failure of its action.
 */
type AnySpec = OperationSpec<Schema | undefined, Schema | undefined, Schema | undefined, boolean, Schema | undefined>;
type Maybe = Schema | undefined;

export function defineOperation<P extends Maybe = undefined, Q extends Maybe = undefined, B extends Maybe = undefined, H extends Maybe = undefined>(
  spec: OperationSpec<P, Q, B, false, H>,
): Operation {
  return createOperation(spec as AnySpec);
}

/** As defineOperation, for a route whose `auth` is none: the handler gets no call. */
export function definePublicOperation<P extends Maybe = undefined, Q extends Maybe = undefined, B extends Maybe = undefined, H extends Maybe = undefined>(
  spec: OperationSpec<P, Q, B, true, H>,
): Operation {
  return createOperation(spec as AnySpec);
}

function createOperation(spec: AnySpec): Operation {
  const route = routeById(spec.route);
  const policy = policyOf(route.id);
  return {
    route,
    spec,
    async run(event, rawParams, context) {
      const { services } = context;
      let call: Call | null = null;
      if (policy.callers !== 'anyone') {
        const caller = await authenticate(event, services, policy.callers);
        if (!route.action) throw new Error(`route ${route.id} needs an audit action`);
        call = { caller, action: route.action, scope: policy.scope, requestId: context.requestId };
      }
      try {
        if (!spec.form && isForm(event.headers['content-type'])) throw new AppError('unsupported_media_type');
        const input = {
          params: spec.params ? parseInput(spec.params, rawParams, 'path') : undefined,
          query: spec.query ? parseInput(spec.query, event.query, 'query') : undefined,
          body: spec.body ? parseInput(spec.body, event.body ?? {}, 'body') : undefined,
          headers: spec.headers ? parseInput(spec.headers, event.headers, 'header') : undefined,
          call,
          event,
          services,
        };
        const body = await spec.handle(input, context);
        context.status(spec.status ?? 200).succeed(body);
      } catch (error) {
        // A refusal found before Redis was reached (validation, limits) is audited here, with the caller's live check.
        if (call && error instanceof AppError && error.status < 500 && !error.audited) {
          await recordEvent(services, call, 'failure', error.code);
          error.audited = true;
        }
        throw error;
      }
    },
  };
}

function isForm(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') === true;
}
