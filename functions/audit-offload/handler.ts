import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { runOffloadOperation } from './run-offload.js';

export const auditOffloadOperations = [runOffloadOperation];

export const handler = createFunctionHandler(auditOffloadOperations);
