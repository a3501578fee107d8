import { deleteIdentity } from '../../shared/identities/identities.js';
import { IdentityParams } from '../../shared/identities/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** DELETE /identities/{identity_id}: 204; 409 while keys still belong to it. */
export const deleteIdentityOperation = defineOperation({
  route: 'deleteIdentity',
  params: IdentityParams,
  status: 204,
  async handle({ params, call, services }) {
    await deleteIdentity(services, call, params.identity_id);
  },
});
