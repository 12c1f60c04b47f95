"""LICENSE, CITATION.cff and the declared dependencies agree with the code.

* LICENSE is the Apache License 2.0 that ``setup.py`` declares;
* CITATION.cff is valid CFF 1.2.0 YAML, cites the paper by the title the
  README gives, and carries the package's version and licence;
* every third-party module that ``mmwsss/`` or ``tools/`` imports belongs to
  a distribution declared in ``requirements/`` or ``setup.py`` (run time or
  an extra), and only the headless OpenCV build is declared.
"""
import ast
import importlib.metadata as md
import os.path as osp
import re
import sys

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _read(*parts):
    with open(osp.join(REPO, *parts), encoding='utf-8') as f:
        return f.read()


def _norm(text):
    return re.sub(r'\s+', ' ', text).strip().lower()


def test_license_is_the_declared_apache_2():
    text = _read('LICENSE')
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text
    assert 'END OF TERMS AND CONDITIONS' in text   # the full text
    assert "license='Apache License 2.0'" in _read('setup.py')


def test_citation_cites_the_paper_of_the_readme():
    cff = yaml.safe_load(_read('CITATION.cff'))
    assert cff['cff-version'] == '1.2.0'
    assert cff['license'] == 'Apache-2.0'
    ns = {}
    exec(_read('mmwsss', 'version.py'), ns)
    assert str(cff['version']) == ns['__version__']
    assert cff['authors'] and cff['message']
    paper = cff['preferred-citation']
    assert paper['authors']
    # the README names the paper (in italics) by the same title
    readme = _norm(_read('README.md'))
    assert f'*{_norm(paper["title"])}*' in readme
    # and its Citation section's BibTeX entry too
    bib = re.search(r'```bibtex\n(.*?)```', _read('README.md'), re.S)
    assert bib, 'README has no BibTeX entry'
    title = re.search(r'title\s*=\s*\{(.*?)\}', bib.group(1), re.S).group(1)
    assert _norm(title) == _norm(paper['title'])


def _requirement_name(req):
    return re.split(r'[<>=!~;\[ ]', req.strip(), 1)[0].lower().replace(
        '_', '-')


def _requirements_file(name):
    out = []
    for line in _read('requirements', name).splitlines():
        line = line.split('#')[0].strip()
        if line:
            out.append(line)
    return out


def declared():
    """Distribution names of install_requires and every extra."""
    names = {'torch', 'torchvision', 'mmcv', 'mmcv-lite'}   # setup.py
    names.update(map(_requirement_name, _requirements_file('runtime.txt')))
    tree = ast.parse(_read('setup.py'))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'extras_require':
            for value in ast.walk(node.value):
                if isinstance(value, ast.Constant) and isinstance(
                        value.value, str):
                    if value.value.endswith('.txt'):
                        names.update(map(_requirement_name,
                                         _requirements_file(value.value)))
                    else:
                        names.add(_requirement_name(value.value))
    return names


def imported_modules():
    """Top-level modules imported anywhere in mmwsss/ and tools/."""
    found = {}
    for top in ('mmwsss', 'tools'):
        for root, _, files in __import__('os').walk(osp.join(REPO, top)):
            if '.mim' in root:
                continue
            for name in files:
                if not name.endswith('.py'):
                    continue
                path = osp.join(root, name)
                tree = ast.parse(open(path, encoding='utf-8').read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        mods = [a.name for a in node.names]
                    elif isinstance(node, ast.ImportFrom) and not node.level:
                        mods = [node.module]
                    else:
                        continue
                    for mod in mods:
                        top = mod.split('.')[0]
                        # a script's sibling module (tools/run_study.py
                        # imports tools/run_pipeline.py): the script's
                        # folder is on sys.path when it runs
                        if osp.isfile(osp.join(root, top + '.py')):
                            continue
                        found.setdefault(top, osp.relpath(path, REPO))
    return found


# modules of optional extras, for environments that lack the extra (their
# distribution cannot be looked up there)
OPTIONAL = dict(pydensecrf=['pydensecrf2'], timm=['timm'])


def test_every_imported_package_is_declared():
    local = {'mmwsss', 'toy_data'}      # this repository's own code
    dists = md.packages_distributions()
    names = declared()
    missing = []
    for mod, where in sorted(imported_modules().items()):
        if mod in sys.stdlib_module_names or mod in local:
            continue
        owners = {d.lower().replace('_', '-')
                  for d in dists.get(mod) or OPTIONAL.get(mod, [])}
        if not owners & names:
            missing.append(f'{mod} (imported in {where}; installed by '
                           f'{sorted(owners) or "nothing"})')
    assert not missing, 'imported but not declared: ' + ', '.join(missing)


def test_one_opencv_is_declared():
    names = declared()
    assert 'opencv-python-headless' in names
    assert 'opencv-python' not in names
