-- One row per plate, well and time point: the well's treatment and how many images (fields) it has.
select
    plate_id,
    well,
    cell_line,
    compound,
    concentration_um,
    is_control,
    replicate,
    time_h,
    count(*) as n_images,
    count(distinct site) as n_sites
from {{ source('raw_images') }}
group by plate_id, well, cell_line, compound, concentration_um, is_control, replicate, time_h
order by plate_id, well, time_h
