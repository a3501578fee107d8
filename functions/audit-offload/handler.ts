import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { getBacklogOperation } from './get-backlog.js';
import { runOffloadOperation } from './run-offload.js';

export const auditOffloadOperations = [runOffloadOperation, getBacklogOperation];

export const handler = createFunctionHandler(auditOffloadOperations);
