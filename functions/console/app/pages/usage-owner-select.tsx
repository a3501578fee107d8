import { listApiKeys, listIdentities, type UsageOwner } from '../api/keyward.js';
import { useLoad } from '../components/use-load.js';
import { navigate } from '../state/route.js';

/** An owner as the select's value: "tenant", "key:key_…" or "identity:idt_…". */
export function ownerValue(owner: UsageOwner): string {
  return owner.kind === 'tenant' ? 'tenant' : `${owner.kind}:${owner.id}`;
}

/** The page of an owner's usage: #/usage, #/usage/key/{id} or #/usage/identity/{id}. */
export function usagePath(owner: UsageOwner): string[] {
  return owner.kind === 'tenant' ? ['usage'] : ['usage', owner.kind, owner.id];
}

/**
 * Whose usage to show: the tenant, or one of its first 100 keys or identities (a key's or an
 * identity's own page links to its usage whatever its place in the list). Choosing goes to its page.
 */
export function UsageOwnerSelect({ owner, ownerName }: { owner: UsageOwner; ownerName: string }) {
  const choices = useLoad(async () => {
    const [keys, identities] = await Promise.all([listApiKeys(null, 100), listIdentities(null, undefined, 100)]);
    return { keys: keys.items, identities: identities.items };
  }, []);
  const keys = choices.data?.keys ?? [];
  const identities = choices.data?.identities ?? [];
  const current = ownerValue(owner);
  const listed = current === 'tenant' || keys.some((key) => `key:${key.key_id}` === current) || identities.some((identity) => `identity:${identity.identity_id}` === current);
  const choose = (value: string) => {
    const [kind, id] = value.split(':');
    navigate(...usagePath(kind === 'key' && id ? { kind, id } : kind === 'identity' && id ? { kind, id } : { kind: 'tenant' }));
  };
  return (
    <div>
      <label for="usage-owner">Usage of</label>
      <select id="usage-owner" value={current} onChange={(event) => choose(event.currentTarget.value)}>
        <option value="tenant">The whole tenant</option>
        {listed ? null : <option value={current}>{ownerName}</option>}
        {identities.length > 0 ? (
          <optgroup label="Identities">
            {identities.map((identity) => (
              <option key={identity.identity_id} value={`identity:${identity.identity_id}`}>
                Identity {identity.external_id}
              </option>
            ))}
          </optgroup>
        ) : null}
        {keys.length > 0 ? (
          <optgroup label="API keys">
            {keys.map((key) => (
              <option key={key.key_id} value={`key:${key.key_id}`}>
                Key {key.name}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
    </div>
  );
}
