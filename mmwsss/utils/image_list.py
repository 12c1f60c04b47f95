"""Split lists: one image id per line (VOC-style ``id`` or the
``JPEGImages/id.jpg SegmentationClass/id.png`` pair form), read strictly."""
import os.path as osp


def _list_line_id(text):
    """The id of one list line, or None when the line is malformed: one
    token (``id`` or a path), or the pair ``JPEGImages/id.jpg
    SegmentationClass/id.png`` (two paths of the same id)."""
    tokens = text.split()
    if len(tokens) == 1:
        return osp.splitext(osp.basename(tokens[0]))[0]
    if len(tokens) == 2 and all('/' in t and osp.splitext(t)[1]
                                for t in tokens):
        first, second = (osp.splitext(osp.basename(t))[0] for t in tokens)
        return first if first == second else None
    return None


def read_image_list(path):
    """Read a split list (one id per line; VOC-style ``id`` or the
    ``JPEGImages/id.jpg SegmentationClass/id.png`` pair form).

    A malformed line (an id with a space, a pair of different ids, more
    than two fields) or an id listed twice (which would weigh that image
    twice in every metric) is an error naming the file, the line number
    and its text."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image list not found: {path}')
    ids, first_line = [], {}
    # utf-8-sig: a byte-order mark (Windows editors) is not part of an id
    with open(path, encoding='utf-8-sig') as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            img_id = _list_line_id(text)
            if not img_id:
                raise ValueError(
                    f'{path}: line {number} {text!r} is not an image id (one '
                    'id per line, without spaces, or the pair '
                    '"JPEGImages/<id>.jpg SegmentationClass/<id>.png")')
            if img_id in first_line:
                raise ValueError(
                    f'{path}: line {number} {text!r} repeats the id '
                    f'{img_id!r} of line {first_line[img_id]}; each image '
                    'may be listed once')
            first_line[img_id] = number
            ids.append(img_id)
    if not ids:
        raise ValueError(f'image list is empty: {path}')
    return ids
