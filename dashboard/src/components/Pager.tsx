import type { PaginationDto } from '../../../openapi/client/index.js';

/** Which page of how many, and the way to the next and previous. */
export function Pager({ pagination, onPage }: { pagination: PaginationDto; onPage: (page: number) => void }) {
  const { page, totalPages, total } = pagination;
  return (
    <div className="pager" data-testid="pager">
      <button onClick={() => onPage(page - 1)} disabled={page <= 1} data-testid="previous-page">
        ← Newer
      </button>
      <span data-testid="page-info">
        Page {page} of {Math.max(totalPages, 1)} ({total} {total === 1 ? 'delivery' : 'deliveries'})
      </span>
      <button onClick={() => onPage(page + 1)} disabled={page >= totalPages} data-testid="next-page">
        Older →
      </button>
    </div>
  );
}
