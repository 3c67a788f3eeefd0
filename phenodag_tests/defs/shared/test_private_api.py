"""Each use of Dagster's private API, pinned: an upgrade that moves one fails here, by name."""

import inspect

import dagster as dg

from phenodag.defs.shared.private_api import ExecutionPlan, PlanOrchestrationContext, with_op_properties


@dg.asset(pool="a", op_tags={"k": "v"}, code_version="3", config_schema={"n": dg.Field(int, default_value=1)})
def thing(context: dg.AssetExecutionContext) -> int:
    return int(context.op_config["n"])


def test_changes_only_what_is_asked_and_the_asset_still_runs() -> None:
    new = with_op_properties(thing, pool="b", tags={"k": "w"})
    assert (new.op.pool, new.op.tags["k"]) == ("b", "w")
    assert (thing.op.pool, thing.op.tags["k"]) == ("a", "v")  # the original is untouched
    assert new.op.version == "3" and new.key == thing.key
    result = dg.materialize([new], run_config={"ops": {"thing": {"config": {"n": 5}}}})
    assert result.output_for_node("thing") == 5


def test_the_dask_executor_override_keeps_the_signature_it_types() -> None:
    """dask_compat overrides Executor.execute(plan_context, execution_plan) with these two private classes."""
    from dagster_dask.executor import DaskExecutor

    params = list(inspect.signature(DaskExecutor.execute).parameters)
    assert params == ["self", "plan_context", "execution_plan"]
    assert inspect.isclass(PlanOrchestrationContext) and inspect.isclass(ExecutionPlan)
    assert hasattr(ExecutionPlan, "get_steps_to_execute_in_topo_order") or hasattr(ExecutionPlan, "step_dict")
