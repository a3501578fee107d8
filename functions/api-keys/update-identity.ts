import { updateIdentity } from '../../shared/identities/identities.js';
import { IdentityParams, IdentitySchema, UpdateIdentityBody } from '../../shared/identities/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** PATCH /identities/{identity_id}: external_id, meta, limits, credits. */
export const updateIdentityOperation = defineOperation({
  route: 'updateIdentity',
  params: IdentityParams,
  body: UpdateIdentityBody,
  response: IdentitySchema,
  async handle({ params, body, call, services }) {
    return updateIdentity(services, call, params.identity_id, body);
  },
});
