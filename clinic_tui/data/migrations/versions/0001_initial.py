"""Initial schema: clinics, staff, residents, visits, follow-ups, referrals, contracts, directory,
audit trail and sync bookkeeping.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 09:04:14.622299
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_setting',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=True),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('record_id', sa.String(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_record_id'), ['record_id'], unique=False)

    op.create_table('clinic',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('level', sa.String(), nullable=False),
    sa.Column('division_code', sa.String(), nullable=True),
    sa.Column('division_name', sa.String(), nullable=True),
    sa.Column('lead_hospital_code', sa.String(), nullable=True),
    sa.Column('lead_hospital_name', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('address', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('division',
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('level', sa.String(), nullable=False),
    sa.Column('parent_code', sa.String(), nullable=True),
    sa.Column('version', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_division_parent_code'), ['parent_code'], unique=False)

    op.create_table('hospital',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('level', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('address', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hospital_code'), ['code'], unique=False)

    op.create_table('outbox',
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('record_id', sa.String(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('reject_code', sa.String(), nullable=True),
    sa.Column('reject_message', sa.String(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'record_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_state'), ['state'], unique=False)

    op.create_table('sync_cursor',
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=True),
    sa.Column('epoch', sa.String(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('department',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('hospital_id', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_hospital_id'), ['hospital_id'], unique=False)

    op.create_table('resident',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('sex', sa.String(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_type', sa.String(), nullable=False),
    sa.Column('id_number', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('ethnicity', sa.String(), nullable=True),
    sa.Column('address', sa.String(), nullable=True),
    sa.Column('division_code', sa.String(), nullable=True),
    sa.Column('division_name', sa.String(), nullable=True),
    sa.Column('division_version', sa.String(), nullable=True),
    sa.Column('health_record_no', sa.String(length=17), nullable=True),
    sa.Column('insurance_type', sa.String(), nullable=True),
    sa.Column('insurance_no', sa.String(), nullable=True),
    sa.Column('emergency_contact', sa.String(), nullable=True),
    sa.Column('emergency_phone', sa.String(), nullable=True),
    sa.Column('chronic_conditions', sa.JSON(), nullable=False),
    sa.Column('manual_population_tags', sa.JSON(), nullable=False),
    sa.Column('notes', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_resident_name', ['name'], unique=False)
        batch_op.create_index('ix_resident_phone', ['phone'], unique=False)
        batch_op.create_index('uq_resident_document', ['id_type', 'id_number'], unique=True, sqlite_where=sa.text('deleted = 0 AND id_number IS NOT NULL'))

    op.create_table('service_package',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_package_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_package_code'), ['code'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('practitioner_no', sa.String(), nullable=True),
    sa.Column('pin_hash', sa.String(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('followup',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('resident_id', sa.String(), nullable=False),
    sa.Column('disease', sa.String(), nullable=False),
    sa.Column('followup_date', sa.Date(), nullable=False),
    sa.Column('mode', sa.String(), nullable=False),
    sa.Column('doctor_id', sa.String(), nullable=True),
    sa.Column('institution_code', sa.String(), nullable=True),
    sa.Column('village_code', sa.String(), nullable=True),
    sa.Column('symptoms', sa.JSON(), nullable=False),
    sa.Column('symptoms_other', sa.String(), nullable=True),
    sa.Column('sbp', sa.Integer(), nullable=True),
    sa.Column('dbp', sa.Integer(), nullable=True),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('weight_target_kg', sa.Float(), nullable=True),
    sa.Column('height_cm', sa.Float(), nullable=True),
    sa.Column('bmi', sa.Float(), nullable=True),
    sa.Column('heart_rate', sa.Integer(), nullable=True),
    sa.Column('other_signs', sa.String(), nullable=True),
    sa.Column('cigarettes_per_day', sa.Integer(), nullable=True),
    sa.Column('cigarettes_target', sa.Integer(), nullable=True),
    sa.Column('alcohol_ml_per_day', sa.Integer(), nullable=True),
    sa.Column('alcohol_target_ml', sa.Integer(), nullable=True),
    sa.Column('exercise_times_per_week', sa.Integer(), nullable=True),
    sa.Column('exercise_minutes', sa.Integer(), nullable=True),
    sa.Column('salt_intake', sa.String(), nullable=True),
    sa.Column('psych_adjustment', sa.String(), nullable=True),
    sa.Column('compliance', sa.String(), nullable=True),
    sa.Column('auxiliary_exams', sa.String(), nullable=True),
    sa.Column('adherence', sa.String(), nullable=True),
    sa.Column('adverse_reaction', sa.String(), nullable=True),
    sa.Column('classification', sa.String(), nullable=True),
    sa.Column('suggested_classification', sa.String(), nullable=True),
    sa.Column('override_reason', sa.String(), nullable=True),
    sa.Column('medications', sa.JSON(), nullable=False),
    sa.Column('referral_reason', sa.String(), nullable=True),
    sa.Column('referral_org', sa.String(), nullable=True),
    sa.Column('referral_result', sa.String(), nullable=True),
    sa.Column('next_date', sa.Date(), nullable=True),
    sa.Column('dorsalis_pedis', sa.String(), nullable=True),
    sa.Column('staple_food_g', sa.Integer(), nullable=True),
    sa.Column('fasting_glucose', sa.Float(), nullable=True),
    sa.Column('postprandial_glucose', sa.Float(), nullable=True),
    sa.Column('hba1c', sa.Float(), nullable=True),
    sa.Column('hba1c_date', sa.Date(), nullable=True),
    sa.Column('hypoglycemia', sa.String(), nullable=True),
    sa.Column('insulin_kind', sa.String(), nullable=True),
    sa.Column('insulin_dose', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_next_date'), ['next_date'], unique=False)
        batch_op.create_index('ix_followup_resident_date', ['resident_id', 'followup_date'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('referral_no', sa.String(), nullable=False),
    sa.Column('origin', sa.String(), nullable=False),
    sa.Column('direction', sa.String(), nullable=False),
    sa.Column('purpose', sa.String(), nullable=False),
    sa.Column('urgency', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('referral_date', sa.Date(), nullable=False),
    sa.Column('resident_id', sa.String(), nullable=True),
    sa.Column('source_visit_id', sa.String(), nullable=True),
    sa.Column('patient_name', sa.String(), nullable=False),
    sa.Column('patient_sex', sa.String(), nullable=True),
    sa.Column('patient_birth_date', sa.Date(), nullable=True),
    sa.Column('patient_id_type', sa.String(), nullable=True),
    sa.Column('patient_id_number', sa.String(), nullable=True),
    sa.Column('patient_phone', sa.String(), nullable=True),
    sa.Column('patient_address', sa.String(), nullable=True),
    sa.Column('patient_insurance_type', sa.String(), nullable=True),
    sa.Column('patient_insurance_no', sa.String(), nullable=True),
    sa.Column('from_org_code', sa.String(), nullable=True),
    sa.Column('from_org_name', sa.String(), nullable=True),
    sa.Column('from_department', sa.String(), nullable=True),
    sa.Column('from_doctor_id', sa.String(), nullable=True),
    sa.Column('from_doctor_name', sa.String(), nullable=True),
    sa.Column('from_doctor_phone', sa.String(), nullable=True),
    sa.Column('to_org_code', sa.String(), nullable=True),
    sa.Column('to_org_name', sa.String(), nullable=True),
    sa.Column('to_department_code', sa.String(), nullable=True),
    sa.Column('to_department_name', sa.String(), nullable=True),
    sa.Column('to_doctor_wished', sa.String(), nullable=True),
    sa.Column('wished_date', sa.Date(), nullable=True),
    sa.Column('diagnoses', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('chief_complaint', sa.String(), nullable=True),
    sa.Column('present_illness', sa.String(), nullable=True),
    sa.Column('past_history', sa.String(), nullable=True),
    sa.Column('past_history_kinds', sa.JSON(), nullable=False),
    sa.Column('treatment_so_far', sa.String(), nullable=True),
    sa.Column('examinations', sa.JSON(), nullable=False),
    sa.Column('medications', sa.JSON(), nullable=False),
    sa.Column('allergies', sa.String(), nullable=True),
    sa.Column('precautions', sa.String(), nullable=True),
    sa.Column('consent_given', sa.Boolean(), nullable=False),
    sa.Column('consent_by', sa.String(), nullable=True),
    sa.Column('consent_signer', sa.String(), nullable=True),
    sa.Column('transport', sa.JSON(), nullable=False),
    sa.Column('cancel_reason', sa.String(), nullable=True),
    sa.Column('discharge_diagnoses', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(), nullable=True),
    sa.Column('treatment_plan', sa.String(), nullable=True),
    sa.Column('rehab_guidance', sa.String(), nullable=True),
    sa.Column('medication_to_continue', sa.String(), nullable=True),
    sa.Column('followup_schedule', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('referral_no')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_referral_date'), ['referral_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_status'), ['status'], unique=False)

    op.create_table('slot_pool',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('department_id', sa.String(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('reserved_for_primary', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('slot_pool', schema=None) as batch_op:
        batch_op.create_index('ix_slot_pool_department_day', ['department_id', 'day'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('resident_id', sa.String(), nullable=True),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('source_kind', sa.String(), nullable=True),
    sa.Column('source_id', sa.String(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_by', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_resident_id'), ['resident_id'], unique=False)

    op.create_table('team',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('org_code', sa.String(), nullable=True),
    sa.Column('leader_id', sa.String(), nullable=True),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['leader_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('resident_id', sa.String(), nullable=False),
    sa.Column('visit_at', sa.DateTime(), nullable=False),
    sa.Column('mode', sa.String(), nullable=False),
    sa.Column('doctor_id', sa.String(), nullable=True),
    sa.Column('institution_code', sa.String(), nullable=True),
    sa.Column('village_code', sa.String(), nullable=True),
    sa.Column('chief_complaint', sa.String(), nullable=True),
    sa.Column('sbp', sa.Integer(), nullable=True),
    sa.Column('dbp', sa.Integer(), nullable=True),
    sa.Column('heart_rate', sa.Integer(), nullable=True),
    sa.Column('temperature_c', sa.Float(), nullable=True),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('height_cm', sa.Float(), nullable=True),
    sa.Column('glucose_mmol', sa.Float(), nullable=True),
    sa.Column('glucose_kind', sa.String(), nullable=True),
    sa.Column('diagnoses', sa.JSON(), nullable=False),
    sa.Column('treatment', sa.String(), nullable=True),
    sa.Column('prescription', sa.String(), nullable=True),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('referral_flag', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_visit_resident_time', ['resident_id', 'visit_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_visit_at'), ['visit_at'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('contract_no', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('household_rep_id', sa.String(), nullable=True),
    sa.Column('resident_id', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('signed_date', sa.Date(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('org_code', sa.String(), nullable=True),
    sa.Column('team_id', sa.String(), nullable=True),
    sa.Column('doctor_id', sa.String(), nullable=True),
    sa.Column('operator_id', sa.String(), nullable=True),
    sa.Column('population_tags', sa.JSON(), nullable=False),
    sa.Column('package_codes', sa.JSON(), nullable=False),
    sa.Column('service_modes', sa.JSON(), nullable=False),
    sa.Column('fee_total_fen', sa.Integer(), nullable=False),
    sa.Column('fee_insurance_fen', sa.Integer(), nullable=False),
    sa.Column('fee_public_health_fen', sa.Integer(), nullable=False),
    sa.Column('fee_self_fen', sa.Integer(), nullable=False),
    sa.Column('resident_signed', sa.Boolean(), nullable=False),
    sa.Column('doctor_signed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('termination_reason', sa.String(), nullable=True),
    sa.Column('termination_note', sa.String(), nullable=True),
    sa.Column('previous_contract_id', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['household_rep_id'], ['resident.id'], ),
    sa.ForeignKeyConstraint(['previous_contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_no')
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_contract_resident_period', ['resident_id', 'start_date'], unique=False)
        batch_op.create_index('ix_contract_status_end', ['status', 'end_date'], unique=False)

    op.create_table('referral_event',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('referral_id', sa.String(), nullable=False),
    sa.Column('origin', sa.String(), nullable=False),
    sa.Column('from_status', sa.String(), nullable=True),
    sa.Column('to_status', sa.String(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('actor_name', sa.String(), nullable=True),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('appointment_department_code', sa.String(), nullable=True),
    sa.Column('appointment_department_name', sa.String(), nullable=True),
    sa.Column('appointment_doctor', sa.String(), nullable=True),
    sa.Column('appointment_at', sa.DateTime(), nullable=True),
    sa.Column('appointment_slot_id', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_event_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_event_referral_id'), ['referral_id'], unique=False)

    op.create_table('service_record',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(), nullable=False),
    sa.Column('author_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('contract_id', sa.String(), nullable=False),
    sa.Column('item_code', sa.String(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('staff_id', sa.String(), nullable=True),
    sa.Column('source_kind', sa.String(), nullable=True),
    sa.Column('source_id', sa.String(), nullable=True),
    sa.Column('note', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_record_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_record_contract_id'), ['contract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_record_contract_id'))
        batch_op.drop_index(batch_op.f('ix_service_record_clinic_id'))

    op.drop_table('service_record')
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_event_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_event_clinic_id'))

    op.drop_table('referral_event')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_status_end')
        batch_op.drop_index('ix_contract_resident_period')
        batch_op.drop_index(batch_op.f('ix_contract_clinic_id'))

    op.drop_table('contract')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_visit_at'))
        batch_op.drop_index('ix_visit_resident_time')
        batch_op.drop_index(batch_op.f('ix_visit_clinic_id'))

    op.drop_table('visit')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_clinic_id'))

    op.drop_table('team')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_resident_id'))
        batch_op.drop_index(batch_op.f('ix_task_due_date'))
        batch_op.drop_index(batch_op.f('ix_task_clinic_id'))

    op.drop_table('task')
    with op.batch_alter_table('slot_pool', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_pool_department_day')

    op.drop_table('slot_pool')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_status'))
        batch_op.drop_index(batch_op.f('ix_referral_resident_id'))
        batch_op.drop_index(batch_op.f('ix_referral_referral_date'))
        batch_op.drop_index(batch_op.f('ix_referral_clinic_id'))

    op.drop_table('referral')
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_resident_date')
        batch_op.drop_index(batch_op.f('ix_followup_next_date'))
        batch_op.drop_index(batch_op.f('ix_followup_clinic_id'))

    op.drop_table('followup')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_clinic_id'))

    op.drop_table('staff')
    with op.batch_alter_table('service_package', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_package_code'))
        batch_op.drop_index(batch_op.f('ix_service_package_clinic_id'))

    op.drop_table('service_package')
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_index('uq_resident_document', sqlite_where=sa.text('deleted = 0 AND id_number IS NOT NULL'))
        batch_op.drop_index('ix_resident_phone')
        batch_op.drop_index('ix_resident_name')
        batch_op.drop_index(batch_op.f('ix_resident_clinic_id'))

    op.drop_table('resident')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_hospital_id'))

    op.drop_table('department')
    op.drop_table('sync_cursor')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_state'))

    op.drop_table('outbox')
    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hospital_code'))

    op.drop_table('hospital')
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_division_parent_code'))

    op.drop_table('division')
    op.drop_table('clinic')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_record_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))

    op.drop_table('audit_entry')
    op.drop_table('app_setting')
