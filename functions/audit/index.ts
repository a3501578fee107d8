import { createLokiClient } from '../../shared/loki/loki-client.js';
import { serveFunction } from '../../shared/runtime/serve-function.js';
import { handler } from './handler.js';

serveFunction('audit', handler, { lokiClient: createLokiClient });
