from .pipeline_runner import PipelineRunner
from .stage import Stage
from .work_dir import WorkDir
from .report_writer import ReportWriter

__all__ = ['PipelineRunner', 'Stage', 'ReportWriter', 'WorkDir']
