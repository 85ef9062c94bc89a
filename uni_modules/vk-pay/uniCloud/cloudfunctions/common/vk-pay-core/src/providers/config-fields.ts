/** Small zod building blocks the providers' config schemas share (every bad field is named when the config loads). */
import { z } from 'zod';

export const nonEmpty = z.string().min(1, 'required');

export const pem = (what: string) => z.string().refine((s) => /-----BEGIN [A-Z ]+-----/.test(s), { message: `${what} must be a PEM string` });
