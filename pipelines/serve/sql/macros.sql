-- The scope rule of pipelines/access/scope.py (covers) and the places it compares, in SQL.
-- Made once per connection by pipelines/serve/query.py before its first query; a place is a
-- unit path (区县, 区县/街道, 区县/街道/社区) and the scope '' is the whole city.

-- Whether the unit at `place` is at or under `scope`.
CREATE OR REPLACE TEMP MACRO pbi_covers(scope, place) AS
    (scope = '' OR place = scope OR starts_with(place, scope || '/'));

-- A grid's place: its community's path.
CREATE OR REPLACE TEMP MACRO pbi_grid_path(district_name, street_name, community_name) AS
    concat_ws('/', district_name, street_name, community_name);

-- A unit's place (a row of unit_scores u LEFT JOIN grids g ON the grid): its community's path
-- for a grid, its own path (its unit id) above.
CREATE OR REPLACE TEMP MACRO pbi_unit_path(unit_level, unit, district_name, street_name, community_name) AS
    CASE WHEN unit_level = 'grid' THEN pbi_grid_path(district_name, street_name, community_name) ELSE unit END;

-- Whether the grid `grid` (at `grid_place`) is part of the unit (`unit_level`, `unit`): the grid
-- itself, every grid under a community, street or district path, every grid for the city.
CREATE OR REPLACE TEMP MACRO pbi_unit_has_grid(unit_level, unit, grid, grid_place) AS
    CASE WHEN unit_level = 'grid' THEN grid = unit
         WHEN unit_level = 'city' THEN true
         ELSE pbi_covers(unit, grid_place) END;
