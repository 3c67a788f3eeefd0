"""``dagster-dask``'s executor, submitting each step with arguments Dask does not walk.

``dagster-dask`` 0.29.27 (the release paired with Dagster 1.13.27) submits each step
with the run, the reconstructable job and the plan's known state as task arguments.
Dask (``dask._task_spec.parse_input``; ``distributed`` did the same before it) walks
every tuple, list and set in a task's arguments looking for futures, and many Dagster
records are tuples that forbid iteration. So a run fails before any step starts
("Iteration is not allowed on `@record` ..."), whenever it carries one of them: the
partitions subset of every run of one plate (a dynamic partition), the op concurrency
of every run with a pooled step, the ``AssetKey`` set of every run launched for an
asset selection (automation, backfills).

:class:`OpaqueArgsDaskExecutor` keeps ``dagster-dask``'s executor (its config, its
worker function ``query_on_dask_worker``, its ``dagster-dask/resource_requirements``
tag) and changes one thing: the arguments travel inside an object Dask pickles but
does not walk, and so do the events that come back; only the upstream steps' futures
stay visible, so Dask still orders the steps. Each task's key also carries the run id,
so two runs of one job at once are two tasks, not one (dagster-io/dagster#21418).
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dask.executor import DaskExecutor, get_dask_resource_requirements, query_on_dask_worker

from phenodag.defs.shared.private_api import ExecutionPlan, PlanOrchestrationContext


class Sealed:
    """Task arguments that Dask pickles to the worker without looking inside."""

    __slots__ = ("args",)

    def __init__(self, *args: Any) -> None:
        self.args = args


def run_step(dependencies: list[Any], sealed: Sealed) -> Sealed:
    """Dask task: ``dagster-dask``'s worker function on the unsealed arguments; its events come back sealed too.

    ``dependencies`` (the upstream steps' futures) only order the steps.
    """
    return Sealed(*query_on_dask_worker(dependencies, *sealed.args))


class OpaqueArgsDaskExecutor(DaskExecutor):
    """``dagster-dask``'s ``DaskExecutor`` on an existing scheduler, steps submitted with :class:`Sealed` arguments."""

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> Iterator[Any]:
        """Submit every step to the scheduler, each after its upstream steps, and yield their events."""
        import dask.distributed

        if not plan_context.instance.is_persistent:
            raise dg.DagsterInvariantViolationError("the Dask executor needs a persistent Dagster instance")
        run = plan_context.dagster_run
        with dask.distributed.Client(self.cluster_configuration["address"]) as client:
            futures: dict[str, Any] = {}
            for level in execution_plan.get_steps_to_execute_by_level():
                for step in level:
                    upstream = [futures[k] for step_input in step.step_inputs for k in step_input.dependency_keys]
                    sealed = Sealed(
                        plan_context.reconstructable_job,
                        run,
                        plan_context.run_config,
                        [step.key],
                        plan_context.instance.get_ref(),
                        execution_plan.known_state,
                    )
                    futures[step.key] = client.submit(
                        run_step,
                        upstream,
                        sealed,
                        key=f"{run.job_name}.{step.key}.{run.run_id}",
                        resources=get_dask_resource_requirements(step.tags),
                        pure=False,
                    )
            for _future, events in dask.distributed.as_completed(list(futures.values()), with_results=True):
                yield from events.args


@dg.executor(name="dask", requirements=dg.multiple_process_executor_requirements(), config_schema={"address": str})
def dask_executor(init_context: dg.InitExecutorContext) -> OpaqueArgsDaskExecutor:
    """Each step a Dask task on the scheduler at ``address`` (``dagster-dask``'s executor; see the module)."""
    return OpaqueArgsDaskExecutor("existing", {"address": init_context.executor_config["address"]})
