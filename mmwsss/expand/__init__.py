"""Stage 3 (expand): IRN's learned expansion (relation labels, path
affinities, random walk). See docs/expand.md."""
from .irn import (RandomWalkSettings, RelationLabelSettings, expand_cams,
                  make_relation_labels, propagate_cams, propagate_image,
                  relation_label_image)
from .path_affinity import pair_labels, path_affinity, search_paths
from .random_walk import propagate, random_walk, transition_matrix
from .relation_labels import (combine_relation_label, plane_label,
                              relation_label)

__all__ = [
    'RandomWalkSettings', 'RelationLabelSettings', 'combine_relation_label',
    'expand_cams', 'make_relation_labels', 'pair_labels', 'path_affinity',
    'plane_label', 'propagate', 'propagate_cams', 'propagate_image',
    'random_walk', 'relation_label', 'relation_label_image', 'search_paths',
    'transition_matrix'
]
