import { useQuery } from '@tanstack/react-query';
import { can, type Attachment, type Role } from '@tidewatch/shared';
import { useState, type SyntheticEvent } from 'react';
import { apiFile } from '../api/api-client.ts';
import { describeError } from '../api/api-error.ts';
import { formatDateTime } from '../components/format.ts';
import { PriorityLabel } from '../components/priority-label.tsx';
import type { QueuedPhoto } from './field-actions.ts';
import { enqueue } from './field-sync.ts';
import { useIncident, useOpenIncidents } from './field-queries.ts';
import { routeHref } from './field-route.ts';
import { dataUrlOf, photosOf } from './photo-bytes.ts';

export function FieldIncidentList({ userId }: { userId: string }) {
  const incidents = useOpenIncidents();
  if (incidents.isError) return <p className="notice notice--error">{describeError(incidents.error)}</p>;
  if (!incidents.data) return <p className="notice">Loading incidents…</p>;
  if (incidents.data.length === 0) return <p className="notice">No open incidents.</p>;
  // Mine first, then the rest as the server ordered them.
  const sorted = [...incidents.data].sort(
    (a, b) => Number(b.assigneeId === userId) - Number(a.assigneeId === userId),
  );
  return (
    <ul className="field-list" aria-label="My incidents">
      {sorted.map((incident) => (
        <li key={incident.id}>
          <a className="field-card" href={routeHref({ screen: 'incident', id: incident.id })}>
            <PriorityLabel priority={incident.priority} />
            <span className="field-card__title">
              #{incident.number} {incident.title}
            </span>
            <span className="field-card__meta">
              {incident.assigneeId === userId ? 'Assigned to you · ' : ''}
              {incident.status.replaceAll('_', ' ')}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function AttachmentThumb({ attachment }: { attachment: Attachment }) {
  const variant = attachment.hasThumbnail ? 'thumbnail' : null;
  const image = useQuery({
    queryKey: ['field', 'thumbnail', attachment.id],
    enabled: variant !== null,
    staleTime: Infinity,
    queryFn: async () =>
      dataUrlOf(await apiFile(`/attachments/${encodeURIComponent(attachment.id)}/thumbnail`)),
  });
  return image.data ? (
    <img className="field-thumb" src={image.data} alt={attachment.fileName} />
  ) : (
    <span className="field-thumb field-thumb--file">{attachment.fileName}</span>
  );
}

function NoteForm({ incidentId, number }: { incidentId: string; number: number }) {
  const [body, setBody] = useState('');
  const [photos, setPhotos] = useState<QueuedPhoto[]>([]);
  const [inputKey, setInputKey] = useState(0);
  const [status, setStatus] = useState<string | null>(null);
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    await enqueue(`Note on incident #${String(number)}`, {
      kind: 'incident-note',
      incidentId,
      body: text,
      photos,
    });
    setBody('');
    setPhotos([]);
    setInputKey((key) => key + 1);
    setStatus(navigator.onLine ? 'Note sent to the queue' : 'Offline: the note waits in the queue');
  };
  return (
    <form className="field-form" onSubmit={(event) => void submit(event)} aria-label="Add a note">
      <label className="field">
        <span>Note</span>
        <textarea
          value={body}
          onChange={(event) => {
            setBody(event.target.value);
          }}
          rows={3}
          required
        />
      </label>
      <label className="field">
        <span>Photos</span>
        <input
          key={inputKey}
          type="file"
          accept="image/*"
          capture="environment"
          multiple
          onChange={(event) => {
            void photosOf(event.target.files).then(setPhotos);
          }}
        />
      </label>
      {photos.length > 0 ? <p className="field-card__meta">{photos.length} photo(s) with this note</p> : null}
      <button type="submit" className="button button--primary">
        Add note
      </button>
      {status ? <p role="status">{status}</p> : null}
    </form>
  );
}

export function FieldIncidentScreen({ id, role, userId }: { id: string; role: Role; userId: string }) {
  const incident = useIncident(id);
  if (incident.isError) return <p className="notice notice--error">{describeError(incident.error)}</p>;
  if (!incident.data) return <p className="notice">Loading the incident…</p>;
  const data = incident.data;
  return (
    <article className="field-detail" aria-label="Incident">
      <h2>
        <PriorityLabel priority={data.priority} /> #{data.number} {data.title}
      </h2>
      {data.description ? <p>{data.description}</p> : null}
      {data.assetId ? (
        <p>
          <a className="button" href={routeHref({ screen: 'asset', id: data.assetId })}>
            Open the asset
          </a>
        </p>
      ) : null}
      <h3>Notes</h3>
      <ol className="field-notes" aria-label="Incident notes">
        {data.notes.map((note) => (
          <li key={note.id}>
            <time dateTime={note.createdAt}>{formatDateTime(note.createdAt)}</time>{' '}
            {note.authorId === userId ? 'you' : ''}
            <p>{note.body}</p>
            <div className="field-thumbs">
              {data.attachments
                .filter((attachment) => attachment.incidentNoteId === note.id)
                .map((attachment) => (
                  <AttachmentThumb key={attachment.id} attachment={attachment} />
                ))}
            </div>
          </li>
        ))}
      </ol>
      {can(role, 'incident:note') && data.status !== 'closed' ? (
        <NoteForm incidentId={data.id} number={data.number} />
      ) : null}
    </article>
  );
}
