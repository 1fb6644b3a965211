// Templates and their fields as Secret Server numbers them. Coffer's built-in templates have the
// same numbers on every install (scripts may write them down); custom templates and their fields
// take their stable number (modules/numbering) above CUSTOM_BASE, so the two never meet.
import type { TemplateField } from '@coffer/contracts/secrets';
import type { presentTemplate } from '../../modules/secrets/templates.service.ts';
import type { SecretServerDeps } from './deps.ts';

type CatalogTemplate = ReturnType<typeof presentTemplate>;

/** The built-in templates' fixed ids (not Secret Server's own numbers: a script written for a real
 * Secret Server's template 6007 gets an error here, never another template). */
export const BUILTIN_TEMPLATE_IDS: Readonly<Record<string, number>> = Object.freeze({
  'web-login': 9001,
  'unix-account': 9002,
  'windows-account': 9003,
  'database-account': 9004,
  'ssh-key': 9005,
  'api-key': 9006,
  'secure-note': 9007,
  'host-credential': 9008,
});
/** Built-in fields are numbered template id × 100 + the field's own index (900201: Host of 9002). */
const FIELDS_PER_BUILTIN = 100;
/** Custom templates and fields: CUSTOM_BASE + their number. */
export const CUSTOM_BASE = 1_000_000;

export const PLACEHOLDER = '*** Not Valid For Display ***';

export interface SsField {
  ssId: number;
  field: TemplateField;
  isFile: boolean;
  isPassword: boolean;
  isNotes: boolean;
  isUrl: boolean;
}

export interface SsTemplate {
  ssId: number;
  template: CatalogTemplate;
  fields: SsField[];
}

/** What Secret Server calls a file field: its content is fetched and uploaded apart from the secret. */
export const isFileType = (t: TemplateField['type']) => t === 'file' || t === 'ssh_private_key' || t === 'ssh_public_key';

function ssField(ssId: number, field: TemplateField): SsField {
  return {
    ssId,
    field,
    isFile: isFileType(field.type),
    isPassword: field.type === 'password' || field.type === 'otp',
    isNotes: field.type === 'notes',
    isUrl: field.type === 'url',
  };
}

const fieldIndex = (f: TemplateField) => Number(f.id.replace(/^f/, '')) || 0;

export function createTemplateIds(deps: Pick<SecretServerDeps, 'db' | 'numbering' | 'templates'>) {
  const { db, numbering, templates } = deps;

  // the catalog answers the same list while it keeps it, and numbers never change: the mapping
  // of one list is made once
  let memo: { catalog: CatalogTemplate[]; result: SsTemplate[] } | null = null;

  /** Every template with its numbers. */
  async function all(): Promise<SsTemplate[]> {
    const catalog = await templates.catalog();
    if (memo?.catalog === catalog) return memo.result;
    const result = await map(catalog);
    memo = { catalog, result };
    return result;
  }

  async function map(catalog: CatalogTemplate[]): Promise<SsTemplate[]> {
    const fixedId = (t: CatalogTemplate) => (t.builtin && fieldsFit(t) ? BUILTIN_TEMPLATE_IDS[t.slug] : undefined);
    const custom = catalog.filter((t) => fixedId(t) === undefined);
    const templateNums = await numbering.numbersOf(
      db,
      'template',
      custom.map((t) => t.id),
    );
    const fieldKeys = custom.flatMap((t) => t.fields.map((f) => `${t.id}/${f.id}`));
    const fieldNums = await numbering.numbersOf(db, 'template_field', fieldKeys);
    return catalog.map((t) => {
      const fixed = fixedId(t);
      if (fixed !== undefined) {
        return { ssId: fixed, template: t, fields: t.fields.map((f) => ssField(fixed * FIELDS_PER_BUILTIN + fieldIndex(f), f)) };
      }
      return {
        ssId: CUSTOM_BASE + (templateNums.get(t.id) as number),
        template: t,
        fields: t.fields.map((f) => ssField(CUSTOM_BASE + (fieldNums.get(`${t.id}/${f.id}`) as number), f)),
      };
    });
  }

  async function byId(ssId: number): Promise<SsTemplate | undefined> {
    return (await all()).find((t) => t.ssId === ssId);
  }

  async function bySlug(slug: string): Promise<SsTemplate | undefined> {
    return (await all()).find((t) => t.template.slug === slug);
  }

  /** A field by its number, with its template. */
  async function fieldById(ssId: number): Promise<{ template: SsTemplate; field: SsField } | undefined> {
    for (const t of await all()) {
      const field = t.fields.find((f) => f.ssId === ssId);
      if (field) return { template: t, field };
    }
    return undefined;
  }

  return { all, byId, bySlug, fieldById };
}
export type TemplateIds = ReturnType<typeof createTemplateIds>;

/** A built-in keeps its fixed numbers only while its field indexes stay below 100. */
function fieldsFit(t: CatalogTemplate): boolean {
  return t.fields.every((f) => fieldIndex(f) > 0 && fieldIndex(f) < FIELDS_PER_BUILTIN);
}
