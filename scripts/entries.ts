/** The entry points run as processes (npm start, the cluster, the build): the one place that names them. */
import path from 'node:path';
import { projectRoot } from './temporal-tools.ts';

export const WORKER_ENTRY = path.join(projectRoot, 'worker', 'main.ts');
export const HTTP_API_ENTRY = path.join(projectRoot, 'api', 'main.ts');
