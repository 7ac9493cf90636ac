// Errors are values with a Lattice exception name: created here, rendered by the protocol layer.

export interface FieldError { name: string; message: string }
export type ValidationReason = 'unknownOperation' | 'cannotParse' | 'fieldValidationFailed' | 'other';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Members of the error shape, serialized into the body beside `message`. */
  readonly members: Record<string, unknown>;
  /** Response headers bound to members (Retry-After). */
  readonly headers: Record<string, string>;

  constructor(code: string, status: number, message: string, members: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.members = members;
    this.headers = headers;
  }
}

export const validation = (message: string, reason: ValidationReason = 'fieldValidationFailed', fieldList?: FieldError[]): ApiError =>
  new ApiError('ValidationException', 400, message, fieldList ? { reason, fieldList } : { reason });

export const notFound = (resourceType: string, resourceId: string, message?: string): ApiError =>
  new ApiError('ResourceNotFoundException', 404, message ?? `${resourceTypeWords(resourceType)} ${resourceId} not found.`, { resourceId, resourceType });

export const conflict = (message: string, resourceType: string, resourceId: string): ApiError =>
  new ApiError('ConflictException', 409, message, { resourceId, resourceType });

export const quotaExceeded = (message: string, resourceType: string, quotaCode: string, resourceId?: string): ApiError =>
  new ApiError('ServiceQuotaExceededException', 402, message, { resourceType, serviceCode: 'vpc-lattice', quotaCode, ...(resourceId ? { resourceId } : {}) });

export const accessDenied = (message: string): ApiError => new ApiError('AccessDeniedException', 403, message);

export const throttling = (message: string, retryAfterSeconds: number): ApiError =>
  new ApiError('ThrottlingException', 429, message, { serviceCode: 'vpc-lattice' }, { 'retry-after': String(retryAfterSeconds) });

export const internal = (): ApiError =>
  new ApiError('InternalServerException', 500, 'An internal error occurred. Try again.', {}, { 'retry-after': '1' });

/** SERVICE_NETWORK -> "Service network". */
function resourceTypeWords(type: string): string {
  const words = type.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
