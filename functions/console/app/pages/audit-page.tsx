import { useState } from 'preact/hooks';
import { auditActions } from '../../../../shared/audit/actions.js';
import { listAuditLogs } from '../api/keyward.js';
import type { AuditEvent } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { TableRegion } from '../components/table-region.js';
import { useLoad } from '../components/use-load.js';
import { formatTime, localToIso } from '../format.js';

const pageSize = 50;

interface Filter {
  action: string;
  since: string;
  until: string;
}

/** What an event says beyond the common fields, as compact `name=value` pairs. */
function details(event: AuditEvent): string {
  const common = new Set(['timestamp', 'action', 'tenant_id', 'actor', 'outcome', 'request_id']);
  return Object.entries(event)
    .filter(([name]) => !common.has(name))
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

/**
 * GET /audit-logs, newest first, filtered by action and time. The API pages by time: "Older events"
 * asks for those before the oldest shown (events in that same millisecond may repeat or be skipped).
 */
export function AuditPage() {
  const [draft, setDraft] = useState<Filter>({ action: '', since: '', until: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const [before, setBefore] = useState<string[]>([]);
  const current = before[before.length - 1];
  const loaded = useLoad(
    () => listAuditLogs({ action: filter.action || undefined, since: localToIso(filter.since), until: current ?? localToIso(filter.until), limit: pageSize }),
    [filter, current],
  );
  const events = loaded.data ?? [];
  const oldest = events[events.length - 1];
  const apply = (event: Event) => {
    event.preventDefault();
    setBefore([]);
    setFilter({ ...draft });
  };
  return (
    <>
      <PageHeading title="Audit log" />
      <form class="filters" onSubmit={apply}>
        <div>
          <label for="audit-action">Action</label>
          <select id="audit-action" value={draft.action} onChange={(event) => setDraft({ ...draft, action: event.currentTarget.value })}>
            <option value="">All actions</option>
            {auditActions.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="audit-since">From</label>
          <input id="audit-since" type="datetime-local" value={draft.since} onInput={(event) => setDraft({ ...draft, since: event.currentTarget.value })} />
        </div>
        <div>
          <label for="audit-until">To</label>
          <input id="audit-until" type="datetime-local" value={draft.until} onInput={(event) => setDraft({ ...draft, until: event.currentTarget.value })} />
        </div>
        <button type="submit">Apply</button>
      </form>
      <ErrorNote error={loaded.error} />
      {loaded.loading ? <p role="status">Loading…</p> : <p role="status" class="muted">{events.length === 0 ? 'No events.' : `${events.length} events, newest first${before.length > 0 ? ` (page ${before.length + 1})` : ''}.`}</p>}
      <TableRegion label="Audit events">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={`${event.request_id}-${event.action}-${event.timestamp}`}>
                <td>{formatTime(event.timestamp)}</td>
                <td>{event.action}</td>
                <td>{event.outcome}</td>
                <td>
                  {event.actor.type} {event.actor.id}
                </td>
                <td class="mono">{details(event)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <div class="actions">
        {before.length > 0 ? (
          <button type="button" onClick={() => setBefore(before.slice(0, -1))}>
            Newer events
          </button>
        ) : null}
        {oldest && events.length === pageSize ? (
          <button type="button" onClick={() => setBefore([...before, new Date(Date.parse(oldest.timestamp) - 1).toISOString()])}>
            Older events
          </button>
        ) : null}
      </div>
    </>
  );
}
