/** The entry points the cluster runs as processes: the one place that names them (the HTTP API is moving to api/). */
import path from 'node:path';
import { projectRoot } from '../temporal-tools.ts';

export const WORKER_ENTRY = path.join(projectRoot, 'worker', 'main.ts');
export const HTTP_API_ENTRY = path.join(projectRoot, 'api', 'main.ts');
