import type { Submitter as SubmitterOf } from '@modelrun/contracts';

/** `alice (red)`: who submitted a run, with their team when they had one. */
export function submitterText(s: SubmitterOf | undefined): string | undefined {
  return s && `${s.user}${s.team ? ` (${s.team})` : ''}`;
}

/** `repo@sha256:0123456789ab…`: a digest short enough for a table cell; the full one is its title. */
export function shortDigest(digest: string): string {
  return digest.replace(/@sha256:([0-9a-f]{12})[0-9a-f]*$/, '@sha256:$1…');
}

/**
 * A board row's "who and what": the submitter, and under it the image digest the run really
 * ran, shortened to its first 12 hex digits (as Docker shortens ids; the full reference is its
 * title). Runs recorded before either was kept show a dash.
 */
export function Provenance(props: { submittedBy?: SubmitterOf; imageDigest?: string }) {
  const who = submitterText(props.submittedBy);
  const hex = props.imageDigest?.match(/@sha256:([0-9a-f]{12})[0-9a-f]*$/)?.[1];
  return (
    <span class="provenance">
      <span class="submitter">{who ?? '—'}</span>
      {props.imageDigest && (
        <span class="mono muted digest" title={props.imageDigest}>
          {hex ?? shortDigest(props.imageDigest)}
        </span>
      )}
    </span>
  );
}
