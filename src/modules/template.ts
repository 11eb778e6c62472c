// template: render a Jinja2 file from the controller with the task's variables, then exactly
// what copy does (one probe; write only when the rendered content or attributes differ).
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { readControllerFile } from './util/local-file.js';
import { COPY_PARTS, WRITE_FILE_PROPERTIES, type CopyArgs, type CopyPlanArgs, type CopyProbe } from './copy.js';

export interface TemplateArgs extends Omit<CopyArgs, 'content'> {
  src: string;
}

export const templateModule = defineModule<TemplateArgs, CopyProbe | undefined, CopyPlanArgs>({
  name: 'template',
  schema: moduleSchema({
    properties: {
      src: { type: 'string', minLength: 1, description: 'Jinja2 template on the controller, relative to the playbook directory (or its `templates/`)' },
      ...WRITE_FILE_PROPERTIES,
    },
    required: ['src', 'dest'],
  }),
  doc: {
    short: 'Render a Jinja2 template from the controller into a file on the host',
    description:
      'The template is rendered on the controller with all variables the task sees (host facts included); the result is then handled exactly like `copy` content: one probe, and a write only when it differs.',
    returns: {
      dest: 'the file written',
      src: 'the template',
      checksum: 'sha1 of the rendered content',
      size: 'rendered size in bytes',
      backup_file: 'the backup made (backup: yes and the file changed)',
    },
    example: '- template:\n    src: templates/allmon3.ini.j2\n    dest: /etc/allmon3/allmon3.ini\n    mode: "0640"\n    owner: root\n    group: www-data',
  },
  // rendered on the controller, then exactly copy's probe, plan and one-command path
  async prepare(ctx, args) {
    const source = await readControllerFile(ctx, args.src, 'templates');
    try {
      return { ...args, text: ctx.renderTemplate(source) };
    } catch (e) {
      return { ...args, text: '', error: `template ${args.src}: ${(e as Error).message}` };
    }
  },
  ...COPY_PARTS,
});
