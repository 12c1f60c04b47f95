# Runtime for mmseg-scope configs (SOD, segmentation): upstream + mmwsss.
_base_ = ['mmseg::_base_/default_runtime.py', './mmwsss_runtime.py']
