import { getIdentity } from '../../shared/identities/identities.js';
import { IdentityParams, IdentitySchema } from '../../shared/identities/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /identities/{identity_id} */
export const getIdentityOperation = defineOperation({
  route: 'getIdentity',
  params: IdentityParams,
  response: IdentitySchema,
  async handle({ params, call, services }) {
    return getIdentity(services, call, params.identity_id);
  },
});
