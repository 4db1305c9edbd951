/** The response envelope (README, API conventions): `{ success, data }` or `{ success, message }`. */
export interface SuccessEnvelope<T> {
  success: true;
  message?: string;
  data: T;
}

export interface ErrorEnvelope {
  success: false;
  message: string;
  errors?: FieldError[];
  errorId?: string;
  /** Only on a failed health check: the state of each dependency. */
  details?: Record<string, unknown>;
}

export interface FieldError {
  field: string;
  messages: string[];
}

export function ok<T>(data: T, message?: string): SuccessEnvelope<T> {
  return message === undefined ? { success: true, data } : { success: true, message, data };
}

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  totalPages: number;
}

export function pagination(page: number, limit: number, total: number): Pagination {
  return { page, limit, total, totalPages: Math.ceil(total / limit) };
}
