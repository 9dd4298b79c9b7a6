// Offline checks of the deploy/ templates (deploy/README.md): no AWS account, no cfn-lint.
//
// CloudFormation and SAM (.yaml): every resource type and every property name exists in the
// current CloudFormation + SAM resource spec (npm @aws-cdk/aws-service-spec); every Ref, GetAtt,
// ${...} in Sub and condition names something declared (GetAtt: an attribute the type has).
// Then every combination of parameter values (each of AllowedValues; "" and a value for a
// parameter whose default is ""; the default otherwise) is rendered as CloudFormation would:
// Conditions evaluated, Fn::If chosen, AWS::NoValue dropped, resources and outputs whose
// condition is false left out. A combination the template's Rules refuse is counted, not
// checked; in every other one each Ref, GetAtt and ${...} must name a parameter or a resource
// that exists in that rendering, and no {{resolve:...}} may have an empty name.
// Terraform (.tf): HashiCorp's own HCL parser (npm @cdktf/hcl2json) parses it, and every
// resource, data source, variable and local it references is declared.
//
//   node check.mjs FILE...    -> one line per problem, exit 1 if any
//   node check.mjs --render FILE [Name=Value...]
//                             -> the rendering for these parameters (the others at their
//                                defaults), one line per leaf: Resources.Url.Properties.AuthType=NONE;
//                                "refused: RULE: description" and exit 3 if a rule refuses them
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { parse as parseHcl } from '@cdktf/hcl2json';

const problems = [];
const problem = (file, text) => problems.push(`${file}: ${text}`);

// CloudFormation's short forms (!Ref, !GetAtt, ...) as their long JSON forms.
const tag = (name, kind) => new yaml.Type(`!${name}`, {
  kind,
  construct: (data) => (name === 'Ref' ? { Ref: data }
    : name === 'GetAtt' && typeof data === 'string' ? { 'Fn::GetAtt': data.split('.') }
    : { [name === 'Condition' ? 'Condition' : `Fn::${name}`]: data }),
});
const names = ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'And', 'Or', 'Select', 'Join',
  'Split', 'FindInMap', 'Base64', 'Condition', 'ImportValue', 'GetAZs', 'Cidr'];
const schema = yaml.DEFAULT_SCHEMA.extend(
  names.flatMap((n) => ['scalar', 'sequence', 'mapping'].map((k) => tag(n, k))));

let spec;
function resourceSpec(type) {
  spec ??= loadAwsServiceSpecSync();
  const found = spec.lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? found.only() : undefined;
}

// Calls fn(node) on every object in a template value.
function walk(value, fn) {
  if (Array.isArray(value)) value.forEach((v) => walk(v, fn));
  else if (value && typeof value === 'object') {
    fn(value);
    Object.values(value).forEach((v) => walk(v, fn));
  }
}

function loadTemplate(file) {
  try {
    return yaml.load(readFileSync(file, 'utf8'), { schema });
  } catch (e) {
    problem(file, `YAML: ${e.reason ?? e.message} (line ${(e.mark?.line ?? -1) + 1})`);
    return undefined;
  }
}

const NO_VALUE = Symbol('AWS::NoValue');
const PSEUDO = {
  'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'stack',
};

// The template as CloudFormation would deploy it with these parameter values: {resources,
// outputs} or {refused: "RULE: description"}. Throws on a condition it cannot evaluate.
function render(t, values) {
  const params = {};
  for (const [name, p] of Object.entries(t.Parameters ?? {})) {
    params[name] = name in values ? values[name] : p.Default !== undefined ? String(p.Default) : 'x';
  }
  const scalar = (v, where) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (v && typeof v.Ref === 'string') {
      if (v.Ref in params) return params[v.Ref];
      if (v.Ref in PSEUDO) return PSEUDO[v.Ref];
    }
    throw new Error(`${where}: cannot evaluate ${JSON.stringify(v)}`);
  };
  const memo = new Map();
  const truth = (v, where) => {
    if (typeof v === 'boolean') return v;
    if (v && 'Condition' in v) return condition(v.Condition, where);
    if (v && v['Fn::Equals']) {
      const [a, b] = v['Fn::Equals'];
      return scalar(a, where) === scalar(b, where);
    }
    if (v && v['Fn::Not']) return !truth(v['Fn::Not'][0], where);
    if (v && v['Fn::And']) return v['Fn::And'].every((c) => truth(c, where));
    if (v && v['Fn::Or']) return v['Fn::Or'].some((c) => truth(c, where));
    if (v && v['Fn::Contains']) {
      const [list, x] = v['Fn::Contains'];
      return list.map((e) => scalar(e, where)).includes(scalar(x, where));
    }
    throw new Error(`${where}: cannot evaluate the condition ${JSON.stringify(v)}`);
  };
  function condition(name, where) {
    if (!memo.has(name)) {
      if (!(name in (t.Conditions ?? {}))) throw new Error(`${where}: unknown condition ${name}`);
      memo.set(name, truth(t.Conditions[name], `condition ${name}`));
    }
    return memo.get(name);
  }
  for (const [name, rule] of Object.entries(t.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !truth(rule.RuleCondition, `rule ${name}`)) continue;
    for (const a of rule.Assertions ?? []) {
      if (!truth(a.Assert, `rule ${name}`)) return { refused: `${name}: ${a.AssertDescription ?? ''}` };
    }
  }
  // Parameters substituted (Ref, ${Param}); references to resources kept for the checks.
  const sub = (text, locals) => text.replace(/\$\{([^!}][^}]*)\}/g, (whole, ref) => (
    ref in locals && typeof locals[ref] === 'string' ? locals[ref]
      : ref in params ? params[ref] : ref in PSEUDO ? PSEUDO[ref] : whole));
  const value = (v, where) => {
    if (Array.isArray(v)) return v.map((e) => value(e, where)).filter((e) => e !== NO_VALUE);
    if (!v || typeof v !== 'object') return v;
    if (Array.isArray(v['Fn::If'])) {
      const [name, yes, no] = v['Fn::If'];
      return value(condition(name, where) ? yes : no, where);
    }
    if (v.Ref === 'AWS::NoValue') return NO_VALUE;
    if (typeof v.Ref === 'string' && (v.Ref in params || v.Ref in PSEUDO)) return scalar(v, where);
    if ('Fn::Sub' in v) {
      const s = value(v['Fn::Sub'], where);
      if (typeof s === 'string') return sub(s, {});
      const locals = s[1] ?? {};
      const text = sub(s[0], locals);
      const left = Object.fromEntries(Object.entries(locals).filter(([k]) => text.includes(`\${${k}}`)));
      return Object.keys(left).length ? { 'Fn::Sub': [text, left] } : text;
    }
    const out = {};
    for (const [k, e] of Object.entries(v)) {
      const r = value(e, where);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  const kept = (section) => Object.fromEntries(Object.entries(section ?? {})
    .filter(([id, r]) => !r.Condition || condition(r.Condition, id))
    .map(([id, r]) => [id, value(r, id)]));
  return { params, resources: kept(t.Resources), outputs: kept(t.Outputs) };
}

// Each combination of parameter values worth trying (see the top of this file).
function combinations(t) {
  let out = [{}];
  for (const [name, p] of Object.entries(t.Parameters ?? {})) {
    const choices = p.AllowedValues ? p.AllowedValues.map(String)
      : p.Default === '' ? ['', `${name.toLowerCase()}-value`] : [undefined];
    out = out.flatMap((c) => choices.map((v) => (v === undefined ? c : { ...c, [name]: v })));
  }
  return out;
}

// In one rendering: every reference names something that exists in it.
function checkRendering(file, r, label) {
  const ids = new Set(Object.keys(r.resources));
  for (const [id, res] of Object.entries(r.resources)) {
    if (res.Type === 'AWS::Serverless::Function') {
      if (res.Properties?.FunctionUrlConfig) ids.add(`${id}Url`);
      if (Object.values(res.Properties?.Events ?? {}).some((e) => e.Type === 'HttpApi')) {
        ids.add('ServerlessHttpApi');
      }
    }
  }
  const seen = new Set();
  const report = (text) => {
    if (!seen.has(text)) problem(file, `with ${label}: ${text}`);
    seen.add(text);
  };
  for (const [section, body] of [['Resources', r.resources], ['Outputs', r.outputs]]) {
    walk(body, (node) => {
      if (typeof node.Ref === 'string' && !ids.has(node.Ref)) {
        report(`${section}: Ref to ${node.Ref}, which is not created`);
      }
      if (Array.isArray(node['Fn::GetAtt']) && !ids.has(node['Fn::GetAtt'][0])) {
        report(`${section}: GetAtt of ${node['Fn::GetAtt'][0]}, which is not created`);
      }
      const sub = node['Fn::Sub'];
      const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
      const locals = Array.isArray(sub) ? Object.keys(sub[1] ?? {}) : [];
      for (const [, ref] of (text ?? '').matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const id = ref.split('.')[0];
        if (!locals.includes(id) && !ids.has(id)) report(`${section}: \${${ref}}, which is not created`);
      }
    });
    const strings = [];
    const collect = (v) => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(body);
    for (const s of strings) {
      for (const [ref] of s.matchAll(/\{\{resolve:[a-z-]+:(:|\}\})/g)) {
        report(`${section}: a dynamic reference with no name (${ref})`);
      }
    }
  }
}

function checkRenderings(file, t) {
  let rendered = 0;
  let refused = 0;
  for (const c of combinations(t)) {
    const label = Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ') || 'the defaults';
    let r;
    try {
      r = render(t, c);
    } catch (e) {
      problem(file, `with ${label}: ${e.message}`);
      continue;
    }
    if (r.refused) { refused += 1; continue; }
    rendered += 1;
    checkRendering(file, r, label);
  }
  return { rendered, refused };
}

const renderings = [];

function checkCloudFormation(file) {
  const t = loadTemplate(file);
  if (!t) return;
  const resources = t.Resources ?? {};
  const params = new Set(Object.keys(t.Parameters ?? {}));
  const conditions = new Set(Object.keys(t.Conditions ?? {}));
  const attrs = new Map();  // logical id -> attribute names (undefined: not checked)
  for (const [id, r] of Object.entries(resources)) {
    const s = resourceSpec(r.Type);
    if (!s) { problem(file, `${id}: unknown resource type ${r.Type}`); continue; }
    for (const p of Object.keys(r.Properties ?? {})) {
      if (!(p in s.properties)) problem(file, `${id}: ${r.Type} has no property ${p}`);
    }
    if (r.Condition && !conditions.has(r.Condition)) {
      problem(file, `${id}: unknown condition ${r.Condition}`);
    }
    // SAM's resources have no attributes in the spec; those it generates are added below.
    attrs.set(id, r.Type.startsWith('AWS::Serverless::') ? undefined : Object.keys(s.attributes));
    if (r.Type === 'AWS::Serverless::Function') {
      if (r.Properties?.FunctionUrlConfig) attrs.set(`${id}Url`, ['FunctionUrl', 'FunctionArn']);
      if (Object.values(r.Properties?.Events ?? {}).some((e) => e.Type === 'HttpApi')) {
        attrs.set('ServerlessHttpApi', undefined);
      }
    }
  }
  const declared = (id) => params.has(id) || attrs.has(id) || id.startsWith('AWS::');
  const checkGetAtt = (id, attr, where) => {
    if (!attrs.has(id)) problem(file, `${where}: GetAtt of unknown resource ${id}`);
    else if (attrs.get(id) && !attrs.get(id).includes(attr)) {
      problem(file, `${where}: ${id} has no attribute ${attr}`);
    }
  };
  for (const [section, body] of [['Resources', resources], ['Outputs', t.Outputs ?? {}]]) {
    walk(body, (node) => {
      if (typeof node.Ref === 'string' && !declared(node.Ref)) {
        problem(file, `${section}: Ref to unknown ${node.Ref}`);
      }
      if (Array.isArray(node['Fn::GetAtt'])) {
        checkGetAtt(node['Fn::GetAtt'][0], node['Fn::GetAtt'][1], section);
      }
      if (Array.isArray(node['Fn::If']) && !conditions.has(node['Fn::If'][0])) {
        problem(file, `${section}: Fn::If on unknown condition ${node['Fn::If'][0]}`);
      }
      const sub = node['Fn::Sub'];
      const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
      const locals = Array.isArray(sub) ? Object.keys(sub[1] ?? {}) : [];
      for (const [, ref] of (text ?? '').matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const [id, attr] = ref.split('.');
        if (locals.includes(id)) continue;
        if (attr) checkGetAtt(id, attr, section);
        else if (!declared(id)) problem(file, `${section}: \${${id}} names nothing declared`);
      }
    });
  }
  for (const [id, o] of Object.entries(t.Outputs ?? {})) {
    if (o.Condition && !conditions.has(o.Condition)) {
      problem(file, `output ${id}: unknown condition ${o.Condition}`);
    }
  }
  for (const [id, c] of Object.entries(t.Conditions ?? {})) {
    walk(c, (node) => {
      if (typeof node.Ref === 'string' && !params.has(node.Ref) && !node.Ref.startsWith('AWS::')) {
        problem(file, `condition ${id}: Ref to ${node.Ref}, not a parameter`);
      }
      if (typeof node.Condition === 'string' && !conditions.has(node.Condition)) {
        problem(file, `condition ${id}: unknown condition ${node.Condition}`);
      }
    });
  }
  for (const [id, rule] of Object.entries(t.Rules ?? {})) {
    walk(rule, (node) => {
      if (typeof node.Ref === 'string' && !params.has(node.Ref) && !node.Ref.startsWith('AWS::')) {
        problem(file, `rule ${id}: Ref to ${node.Ref}, not a parameter`);
      }
    });
  }
  const { rendered, refused } = checkRenderings(file, t);
  renderings.push(`${file}: ${rendered} renderings checked, ${refused} refused by Rules`);
}

// Leaves of a rendering as lines PATH=VALUE (intrinsics left as JSON).
function flatten(value, path, out) {
  const intrinsic = value && typeof value === 'object' && !Array.isArray(value)
    && Object.keys(value).length === 1 && /^(Ref|Fn::)/.test(Object.keys(value)[0]);
  if (value && typeof value === 'object' && !intrinsic) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else {
    out.push(`${path}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return out;
}

if (process.argv[2] === '--render') {
  const [file, ...pairs] = process.argv.slice(3);
  const t = loadTemplate(file);
  if (!t) { problems.forEach((p) => console.log(p)); process.exit(1); }
  const values = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  for (const name of Object.keys(values)) {
    if (!(name in (t.Parameters ?? {}))) { console.log(`${file}: no parameter ${name}`); process.exit(1); }
  }
  const r = render(t, values);
  if (r.refused) { console.log(`refused: ${r.refused}`); process.exit(3); }
  flatten({ Resources: r.resources, Outputs: r.outputs }, '', []).forEach((l) => console.log(l));
  process.exit(0);
}

async function checkTerraform(file) {
  let tf;
  try {
    tf = await parseHcl(file, readFileSync(file, 'utf8'));
  } catch (e) {
    problem(file, `HCL: ${String(e.message ?? e).split('\n')[0]}`);
    return;
  }
  const declared = new Set();
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const name of Object.keys(byName)) declared.add(`${type}.${name}`);
  }
  for (const [type, byName] of Object.entries(tf.data ?? {})) {
    for (const name of Object.keys(byName)) declared.add(`data.${type}.${name}`);
  }
  for (const name of Object.keys(tf.variable ?? {})) declared.add(`var.${name}`);
  for (const block of tf.locals ?? []) for (const name of Object.keys(block)) declared.add(`local.${name}`);
  const text = JSON.stringify(tf);
  const refs = /\b(data\.[a-z0-9_]+\.[a-z0-9_]+|aws_[a-z0-9_]+\.[a-z0-9_]+|var\.[a-z0-9_]+|local\.[a-z0-9_]+)/g;
  for (const [, ref] of text.matchAll(refs)) {
    if (!declared.has(ref)) problem(file, `reference to undeclared ${ref}`);
  }
}

for (const file of process.argv.slice(2)) {
  if (file.endsWith('.tf')) await checkTerraform(file);
  else checkCloudFormation(file);
}
problems.forEach((p) => console.log(p));
renderings.forEach((r) => console.log(r));
console.log(`deploy check: ${process.argv.length - 2} files, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
