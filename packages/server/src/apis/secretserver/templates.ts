// Secret templates: the list (GET /secret-templates, `filter.searchText`), one template with its
// fields (`secretTemplateFieldId`, `fieldSlugName`, ...), and a generated password for a field
// (POST /secret-templates/generate-password/{fieldId}: a JSON string without `"` or `\`, so a
// client that strips the quotes instead of parsing gets it right).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { API, type Kit, q1, queryOf } from './kit.ts';
import { page, templateModel, templateSummary } from './mapper.ts';
import { paging, responses, Template, TemplateSummary } from './schemas.ts';
import { DEFAULT_TAKE, MAX_TAKE } from './search.ts';

/** Never in a generated password: a client may read the JSON string without unescaping it. */
export const NEVER_IN_PASSWORDS = '"\\';

const noTemplate = () => new AppError('not_found', 'No such secret template.');

function intOf(raw: string | undefined): number | undefined {
  return raw !== undefined && /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

export function templateRoutes(api: FastifyInstance, kit: Kit): void {
  kit.route(
    api,
    'GET',
    `${API}/secret-templates`,
    { action: 'ss.template.list', response: responses(paging(TemplateSummary)) },
    async (req) => {
      const q = queryOf(req);
      const text = q1(q, 'filter.searchText')?.trim().toLowerCase() ?? '';
      const take = Math.min(intOf(q1(q, 'take')) ?? DEFAULT_TAKE, MAX_TAKE);
      const skip = intOf(q1(q, 'skip')) ?? 0;
      const all = (await kit.templates.all()).filter((t) => !text || t.template.name.toLowerCase().includes(text));
      return page(all.slice(skip, skip + take).map(templateSummary), skip, take, all.length);
    },
  );

  kit.route(api, 'GET', `${API}/secret-templates/:id`, { action: 'ss.template.read', response: responses(Template) }, async (req) => {
    const id = intOf((req.params as { id: string }).id);
    const t = id === undefined ? undefined : await kit.templates.byId(id);
    if (!t) throw noTemplate();
    return templateModel(t);
  });

  kit.route(
    api,
    'POST',
    `${API}/secret-templates/generate-password/:fieldId`,
    { action: 'ss.template.generate_password', response: responses({ type: 'string' }) },
    async (req, reply) => {
      const id = intOf((req.params as { fieldId: string }).fieldId);
      const found = id === undefined ? undefined : await kit.templates.fieldById(id);
      if (!found) throw new AppError('not_found', 'No such secret template field.');
      const { passwords } = await kit.deps.passwords.generate(req.ctx, { policy: { exclude: NEVER_IN_PASSWORDS } });
      return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(passwords[0]));
    },
  );
}
