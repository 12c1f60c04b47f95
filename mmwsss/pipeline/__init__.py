from .pipeline_runner import PipelineRunner, Stage
from .report_writer import ReportWriter

__all__ = ['PipelineRunner', 'Stage', 'ReportWriter']
