"""The README and the docs name only tools and files that exist.

A renamed tool or a moved file leaves its old name behind in prose and in
the command lines users copy. These tests read every tracked Markdown file
(README.md, docs/, configs/README.md, projects/) and every tracked source
file's comments and docstrings, and fail with the file, line and name of
each reference to something the repository does not have:

* ``tools/<...>.py`` / ``tools/<...>.sh`` anywhere (also in code);
* in Markdown, relative link targets and repository paths in code spans and
  code blocks (``mmwsss/...``, ``configs/...``, ``docs/...``, ``tests/...``,
  config names relative to ``configs/``, ``mmwsss::`` bases);
* a repository document (``DESIGN.md``, ``docs/<name>.md``) named
  anywhere.

Upstream files (mmseg's or mmpretrain's own ``tools/...``) are exempt when
the text right before names their project; placeholders (``<id>``, ``$W``,
``{a,b}``, ``...``, ``*``) are not paths.
"""
import os.path as osp
import re
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# top-level folders whose paths a doc may name
TOP = ('mmwsss', 'configs', 'tools', 'tests', 'docs', 'benchmarks',
       'projects', 'requirements')
# a doc naming another project's file says so right before it
UPSTREAM = re.compile(
    r"((mmseg|mmsegmentation|mmpretrain|mmengine|mmcv|mim|openmmlab|irn|"
    r"seam|timm|upstream|github|https?:)[\w'’.:/ `-]{0,40}"
    r"|[\w.-]+/[\w.-]+ \(`?)$", re.I)  # or a GitHub owner/name right before
PLACEHOLDER = re.compile(r'[<>${}*]|\.\.\.|…')
TOOL = re.compile(r'(?<![\w/.-])tools/[\w/.-]+?\.(?:py|sh)\b')
# repository documents: upper-case names (README.md, DESIGN.md) or docs/*
MD_NAME = re.compile(
    r'(?<![\w/.-])((?:docs/)?[A-Z][A-Z_-]+\.md|docs/[\w-]+\.md)\b')
LINK = re.compile(r'\]\(([^)\s]+)\)')
CODE_SPAN = re.compile(r'`([^`\n]+)`')
FENCE = re.compile(r'^```.*?^```', re.S | re.M)


def tracked(*patterns):
    out = subprocess.run(['git', 'ls-files', *patterns], cwd=REPO,
                         capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split() if osp.isfile(osp.join(REPO, f))]


def md_files():
    return tracked('*.md')


def text_files():
    this = osp.relpath(osp.abspath(__file__), REPO)   # its examples are stale
    return [f for f in tracked() if f != this and f.endswith(
        ('.md', '.py', '.sh', '.yml', '.yaml', '.txt', '.ini', '.cff'))
        or osp.basename(f) == 'Makefile']


def _line(text, pos):
    return text.count('\n', 0, pos) + 1


def _upstream(text, pos):
    start = text.rfind('\n', 0, pos) + 1
    return bool(UPSTREAM.search(text[max(start, pos - 60):pos]))


def exists(name, doc=None, repo=REPO):
    """A repository path: from the repo root, the doc's folder, or (config
    names) ``configs/``."""
    name = name.split('#')[0].rstrip('.,:;')
    if '::' in name and not name.startswith('mmwsss::'):
        # a pytest node id: the file and its test function
        name, func = name.split('::')[:2]
        path = osp.join(repo, name)
        return osp.isfile(path) and re.search(
            rf'^\s*def {re.escape(func)}\b', open(path).read(), re.M)
    if name.startswith('mmwsss::'):
        name = 'configs/' + name[len('mmwsss::'):]
    bases = [repo, osp.join(repo, 'configs')]
    if doc is not None:
        bases.insert(1, osp.join(repo, osp.dirname(doc)))
    return any(osp.exists(osp.join(b, name)) for b in bases)


def missing_tools(files, repo=REPO):
    bad = []
    for f in files:
        text = open(osp.join(repo, f), encoding='utf-8').read()
        for m in TOOL.finditer(text):
            if PLACEHOLDER.search(m.group(0)) or _upstream(text, m.start()):
                continue
            if not osp.isfile(osp.join(repo, m.group(0))):
                bad.append(f'{f}:{_line(text, m.start())}: {m.group(0)}')
    return bad


def _path_like(token):
    token = token.strip('"\'(),;[]')
    if not token or PLACEHOLDER.search(token) or '://' in token:
        return None
    if token.startswith('mmwsss::'):
        return token
    first = token.split('/')[0]
    if '/' in token and first in TOP:
        return token
    # config names relative to configs/ (the README's configs table)
    if re.match(r'^(cam|irn|sod|seg|pipelines|_base_)/[\w.-]+\.py$', token):
        return token
    return None


def missing_paths(doc, repo=REPO):
    text = open(osp.join(repo, doc), encoding='utf-8').read()
    bad = []

    def check(name, pos):
        if not exists(name, doc, repo) and not _upstream(text, pos):
            bad.append(f'{doc}:{_line(text, pos)}: {name}')

    for m in LINK.finditer(text):
        target = m.group(1)
        if target.startswith(('http://', 'https://', 'mailto:', '#')):
            continue
        check(target, m.start(1))
    spans = [(m.group(1), m.start(1)) for m in CODE_SPAN.finditer(text)]
    for m in FENCE.finditer(text):
        spans.append((m.group(0), m.start()))
    for span, pos in spans:
        for tok in re.finditer(r'[^\s=]+', span):
            name = _path_like(tok.group(0))
            if name is not None:
                check(name, pos + tok.start())
    return bad


def missing_md(files, names=None, repo=REPO):
    if names is None:
        names = {osp.basename(f) for f in md_files()}
    bad = []
    for f in files:
        text = open(osp.join(repo, f), encoding='utf-8').read()
        for m in MD_NAME.finditer(text):
            if PLACEHOLDER.search(m.group(1)) or _upstream(text, m.start()):
                continue
            if osp.basename(m.group(1)) not in names:
                bad.append(f'{f}:{_line(text, m.start())}: {m.group(1)}')
    return bad


def test_every_named_tool_exists():
    bad = missing_tools(text_files())
    assert not bad, 'tools named but missing:\n' + '\n'.join(bad)


@pytest.mark.parametrize('doc', md_files())
def test_docs_name_existing_files(doc):
    bad = missing_paths(doc)
    assert not bad, 'paths named but missing:\n' + '\n'.join(bad)


def test_every_named_markdown_file_exists():
    bad = missing_md(text_files())
    assert not bad, 'Markdown files named but missing:\n' + '\n'.join(bad)


def test_checker_catches_stale_names(tmp_path):
    """The checks themselves: stale names are reported, placeholders and
    upstream files are not."""
    doc = tmp_path / 'docs' / 'x.md'
    doc.parent.mkdir()
    doc.write_text(
        'Run `python tools/make_pseudo_labels.py --out W` then\n'
        'see [the guide](missing.md) and `tests/test_toy_data.py`,\n'
        'as DESIGN.md says; mmseg\'s `tools/analysis_tools/print_config.py`\n'
        'and `tools/train.py`, `mmwsss/stages/<stage>.py`, `$W/cams`,\n'
        '`cam/cam_r50-s16_1xb16-5e_voc12aug-512x512.py` are fine.\n'
        '```bash\npython tools/eval_labels.py --pred-dir $W/x\n'
        'python tools/eval_pseudo_labels.py configs/seg/nothing.py\n```\n')
    # names resolve against the real repository's files
    for d in ('tools', 'configs', 'mmwsss'):
        (tmp_path / d).symlink_to(osp.join(REPO, d))
    repo = str(tmp_path)
    tools = missing_tools(['docs/x.md'], repo)
    assert [b.split(': ')[1] for b in tools] == [
        'tools/make_pseudo_labels.py', 'tools/eval_pseudo_labels.py']
    paths = [b.split(': ')[1] for b in missing_paths('docs/x.md', repo)]
    assert paths == ['missing.md', 'tools/make_pseudo_labels.py',
                     'tests/test_toy_data.py',
                     'tools/eval_pseudo_labels.py',
                     'configs/seg/nothing.py'], paths
    md = [b.split(': ')[1] for b in missing_md(
        ['docs/x.md'], {'x.md', 'README.md'}, repo)]
    assert md == ['DESIGN.md'], md


def test_every_project_has_a_test():
    """projects/README.md promises a test per project in
    tests/integration/test_projects.py."""
    test = open(osp.join(REPO, 'tests', 'integration',
                         'test_projects.py')).read()
    projects = sorted({f.split('/')[1] for f in tracked('projects/*/*')})
    assert projects
    untested = [p for p in projects if f"'{p}'" not in test]
    assert not untested, f'projects without a test in test_projects.py: ' \
        f'{untested}'
