import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { createApiKeyOperation } from './create-api-key.js';
import { createIdentityOperation } from './create-identity.js';
import { deleteIdentityOperation } from './delete-identity.js';
import { getIdentityOperation } from './get-identity.js';
import { getApiKeyUsageOperation, getIdentityUsageOperation, getUsageOperation } from './get-usage.js';
import { listIdentitiesOperation } from './list-identities.js';
import { updateIdentityOperation } from './update-identity.js';
import { deleteApiKeyOperation } from './delete-api-key.js';
import { getApiKeyOperation } from './get-api-key.js';
import { listApiKeysOperation } from './list-api-keys.js';
import { rotateApiKeyOperation } from './rotate-api-key.js';
import { updateApiKeyOperation } from './update-api-key.js';
import { verifyApiKeyOperation } from './verify-api-key.js';

export const apiKeysOperations = [
  createApiKeyOperation,
  listApiKeysOperation,
  verifyApiKeyOperation,
  getApiKeyOperation,
  updateApiKeyOperation,
  deleteApiKeyOperation,
  rotateApiKeyOperation,
  getApiKeyUsageOperation,
  createIdentityOperation,
  listIdentitiesOperation,
  getIdentityOperation,
  updateIdentityOperation,
  deleteIdentityOperation,
  getIdentityUsageOperation,
  getUsageOperation,
];

export const handler = createFunctionHandler(apiKeysOperations);
