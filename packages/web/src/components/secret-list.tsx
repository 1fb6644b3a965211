// The secret list: virtualised (only the rows in view are in the DOM) and paged by offset from the
// server as it scrolls, so a folder of 10,000 secrets costs one page request and a few dozen rows.
// The first page also asks for the total, which sizes the scroll area.
import type { Secret } from '@coffer/sdk/client';
import { useQueries } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, type ReactNode, useLayoutEffect, useRef } from 'react';
import { Link } from 'react-aria-components';
import { type ListFilter, MARK_DATA, PAGE, type Source, secretsPageQuery } from '../lib/queries.ts';

export { MARK_DATA };

import { Empty, ErrorState, Loading } from './ui.tsx';

const ROW = 44;

/** Performance marks the budget test reads: data arrived, first rows painted. */
export const MARK_ROWS = 'coffer:list-rows';
export const MEASURE = 'coffer:list-render';

type Q = ListFilter;

export function SecretList({
  filter,
  label,
  empty,
  actions,
  source = 'search',
}: {
  source?: Source;
  filter: Q;
  label: string;
  empty: ReactNode;
  actions?: (s: Secret) => ReactNode;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const first = useQueries({ queries: [secretsPageQuery(filter, 0, source)] })[0]!;
  const total = first.data ? (first.data.total ?? first.data.items.length) : 0;
  const v = useVirtualizer({ count: total, getScrollElement: () => scrollRef.current, estimateSize: () => ROW, overscan: 10 });
  const vItems = v.getVirtualItems();
  const pagesNeeded = new Set<number>();
  for (const it of vItems) pagesNeeded.add(Math.floor(it.index / PAGE));
  pagesNeeded.delete(0);
  const pageList = [...pagesNeeded];
  const others = useQueries({ queries: pageList.map((p) => secretsPageQuery(filter, p, source)) });
  const rowAt = (i: number): Secret | undefined => {
    const p = Math.floor(i / PAGE);
    const data = p === 0 ? first.data : others[pageList.indexOf(p)]?.data;
    return data?.items[i % PAGE];
  };

  // measure: from the first page's arrival to the next frame after its rows are in the DOM
  const measured = useRef(false);
  const hasRows = vItems.length > 0 && first.data !== undefined;
  useLayoutEffect(() => {
    if (!hasRows || measured.current) return;
    measured.current = true;
    requestAnimationFrame(() => {
      performance.mark(MARK_ROWS);
      try {
        performance.measure(MEASURE, MARK_DATA, MARK_ROWS);
      } catch {
        // the data mark came from an earlier list (cached answer): nothing to measure
      }
    });
  }, [hasRows]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!row) return;
    e.preventDefault();
    const next = Number(row.dataset.index) + (e.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= total) return;
    v.scrollToIndex(next);
    requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${next}"] a`)?.focus());
  };

  if (first.isPending) return <Loading label="Loading secrets" />;
  if (first.isError) return <ErrorState error={first.error} onRetry={() => first.refetch()} />;
  if (total === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="secret-list">
      {/* biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move between the row links (delegated from the rows) */}
      <div ref={scrollRef} className="secret-scroll" style={{ height: Math.min(total * ROW + 40, 620) }} onKeyDown={onKeyDown}>
        <table className="secret-table" aria-label={label} aria-rowcount={total + 1}>
          <thead>
            <tr className="secret-row head" aria-rowindex={1}>
              <th scope="col">Name</th>
              <th scope="col">User name</th>
              <th scope="col">Host or URL</th>
              <th scope="col">Folder</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody style={{ height: v.getTotalSize(), position: 'relative', display: 'block' }}>
            {vItems.map((it) => {
              const s = rowAt(it.index);
              return (
                <tr
                  key={it.key}
                  aria-rowindex={it.index + 2}
                  data-index={it.index}
                  className="secret-row"
                  style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW, transform: `translateY(${it.start}px)` }}
                >
                  {s ? (
                    <>
                      <td className="name-cell">
                        {source === 'trash' ? <span>{s.name}</span> : <Link href={`/secrets/${encodeURIComponent(s.id)}`}>{s.name}</Link>}
                        {s.shared && <span className="badge">shared</span>}
                      </td>
                      <td>{s.username}</td>
                      <td>{s.host || s.url}</td>
                      <td>{s.path || '/'}</td>
                      <td>
                        {s.tags.map((t) => (
                          <span key={t} className="tag">
                            {t}
                          </span>
                        ))}
                        {actions?.(s)}
                      </td>
                    </>
                  ) : (
                    <td className="muted">Loading…</td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="list-count" aria-live="polite">
        {total.toLocaleString()} {total === 1 ? 'secret' : 'secrets'}
      </p>
    </div>
  );
}
