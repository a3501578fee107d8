import { createIdentity } from '../../shared/identities/identities.js';
import { CreateIdentityBody, IdentitySchema } from '../../shared/identities/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /identities: 201 with the identity; an external_id the tenant already uses is 409. */
export const createIdentityOperation = defineOperation({
  route: 'createIdentity',
  body: CreateIdentityBody,
  response: IdentitySchema,
  status: 201,
  async handle({ body, call, services }) {
    return createIdentity(services, call, body);
  },
});
