import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { getConsoleAssetOperation } from './get-asset.js';
import { getConsolePageOperation } from './get-page.js';

export const consoleOperations = [getConsolePageOperation, getConsoleAssetOperation];

export const handler = createFunctionHandler(consoleOperations);
