-- One row per plate: images that landed, wells, fields, time points and quarantined files.
with images as (
    select
        plate_id,
        count(*) as n_images,
        count(distinct well) as n_wells,
        count(distinct time_h) as n_timepoints,
        min(time_h) as first_time_h,
        max(time_h) as last_time_h
    from {{ source('raw_images') }}
    group by plate_id
),
quarantined as (
    select plate_id, count(*) as n_quarantined
    from {{ source('quarantine') }}
    group by plate_id
)
select
    p.plate_id,
    p.layout,
    p.status,
    coalesce(i.n_images, 0) as n_images,
    coalesce(i.n_wells, 0) as n_wells,
    coalesce(i.n_timepoints, 0) as n_timepoints,
    i.first_time_h,
    i.last_time_h,
    coalesce(q.n_quarantined, 0) as n_quarantined
from {{ source('plates') }} as p
left join images as i on i.plate_id = p.plate_id
left join quarantined as q on q.plate_id = p.plate_id
order by p.plate_id
