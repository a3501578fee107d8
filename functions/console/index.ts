import { serveFunction } from '../../shared/runtime/serve-function.js';
import { handler } from './handler.js';

serveFunction('console', handler);
